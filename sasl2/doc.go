// Package sasl2 implements the Extensible SASL Profile, XEP-0388, as
// sans-I/O state machines for both ends of an XMPP stream.
//
// A host decodes one top-level element at a time from its stream with
// Decode, hands it to a Server or Client, and writes what comes back. The
// negotiation never reads or writes a connection, starts a goroutine or sets
// a timer, so the same code runs over TCP, WebSocket or a test script.
//
// Three seams make the profile extensible:
//
//   - Mechanism (server) and ClientMechanism (client) are SASL mechanisms.
//     Server mechanisms report a typed outcome: a challenge, success with the
//     authenticated user, or a *Failure carrying an RFC 6120 condition.
//   - Extension and ClientExtension are inline features: they advertise a
//     child of <inline>, receive the children of <authenticate> in their
//     namespace, and contribute to <success> once the account is known
//     (Bind 2 and FAST are extensions). An extension may also offer
//     mechanisms inside its feature instead of <authentication>, as FAST
//     does: see InlineMechanisms and ClientInlineMechanisms.
//   - Task and ClientTask are the task engine of XEP-0388 §2.6: after the
//     mechanism succeeds the server may answer <continue> with the tasks its
//     policy requires, and each task exchanges <task-data> until it passes or
//     fails. No <success> is sent before every required task has passed.
//
// Every element has a Go type that decodes and encodes it. Decoding is
// tolerant where peers are sloppy (attribute order, unknown attributes,
// whitespace inside base64) and bounded everywhere: see MaxDepth,
// MaxElements, MaxAttrs and MaxText.
package sasl2
