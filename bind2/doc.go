// Package bind2 implements Resource Binding 2.0, XEP-0386, as inline
// features of the Extensible SASL Profile (package sasl2), together with
// the inline stream management of XEP-0198 §6 that goes with it.
//
// On the server, New returns the sasl2.Extension that advertises
// <bind xmlns='urn:xmpp:bind:0'> and, once authentication and every task
// have succeeded, derives a resource and calls the host's Bind hook, which
// binds it and enables the session features the client asked for (Message
// Carbons, Client State Indication, Stream Management). The result goes
// into <success> as <bound>, and the authorization identifier becomes the
// full JID. NewSM returns the extension for inline stream resumption; put
// it before the Bind 2 extension in sasl2.Config.Extensions, since a
// resumed stream must skip binding (XEP-0386 §3.2, XEP-0198 §6).
//
// After <success>, IsResumed and IsBound tell the host which stream
// features to send: none after a resumption, and no RFC 6120 binding once
// Bind 2 has bound.
//
// On the client, Client requests binding when the server offers it and
// reports what the server bound; ClientSM asks to resume a stream.
//
// Resources have the form the XEP recommends, tag "/" suffix, where the
// suffix is stable for one account, one user-agent id and one tag, and
// reveals neither the id nor anything that links the tags of one device.
// See Config.Secret.
//
// XEP-0386 leaves undefined what happens when binding fails. This package
// answers as Prosody does: authentication still succeeds, <success> carries
// <failed xmlns='urn:xmpp:bind:0'> with a stanza error instead of <bound>,
// and the authorization identifier stays the bare JID. A client then binds
// a resource the RFC 6120 way.
package bind2
