// Package xmlstream is the small XMPP stream layer shared by the example
// server and client. It is not part of the library's API: nothing outside
// examples imports it.
//
// # Why encoding/xml
//
// The examples speak XML streams with encoding/xml directly, not through
// mellium.im/xmpp. The sasl2 state machines are sans-I/O and take one
// decoded element at a time, so the examples need little more than a
// decoder positioned after the stream header; writing that layer here keeps
// the examples' dependencies to what the library itself uses, shows a host
// author everything a stream must do around SASL2, and leaves no second
// stream model to reconcile with the library's own element types.
//
// # What it does
//
//   - Reads and writes the stream header (RFC 6120 §4.7) and checks the
//     stream and content namespaces.
//   - Decodes one top-level element at a time. Elements in the SASL2 and
//     XEP-0440 namespaces go through sasl2.Decode and its Limits; everything
//     else becomes an *Element tree that keeps mixed content in order.
//   - Bounds every top-level element to MaxElementBytes: the decoder reads
//     through a counting reader whose budget is reset before each element,
//     so a peer can never make the decoder buffer more than that. The tree
//     an element decodes to is bounded too, by MaxDepth, MaxElements and
//     MaxAttrs, since it takes many times the element's bytes.
//   - Refuses what RFC 6120 §11.1 forbids on a stream: comments, processing
//     instructions after the XML declaration, and DTDs; and, as not
//     well-formed, an element with two attributes of the same name, which
//     encoding/xml lets through. An XML declaration that names an encoding
//     other than UTF-8 is an unsupported-encoding stream error.
//   - Upgrades the connection with STARTTLS (RFC 6120 §5) and restarts the
//     stream; direct TLS is simply a *tls.Conn given to NewConn.
//   - Writes every element with a single Write call under a mutex, so
//     elements from several goroutines never interleave and each leaves in
//     as few TLS records as possible. TCP_NODELAY stays on, as Go sets it:
//     nothing waits for a delayed ACK.
//
// Whitespace between top-level elements is a keep-alive (RFC 6120 §4.6.1)
// and is skipped at any time, before the decoder sees it, so that it
// counts toward no limit. XEP-0388 §2.5 forbids it while an
// authentication is in progress, but go-xmpp ends every element it writes,
// <authenticate> and <response> included, with a newline, so the examples
// accept it there too.
package xmlstream
