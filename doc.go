// Package xmppauth is a set of building blocks that bring XMPP
// authentication and authorization up to current practice, for servers and
// clients written in Go.
//
// The root package holds no code; each subpackage stands alone and is
// imported on its own, so that a program links only what it uses:
//
//	sasl2         XEP-0388 Extensible SASL Profile: wire elements, server
//	              and client negotiation as sans-I/O state machines, the
//	              Mechanism, Extension and Task seams, XEP-0440 channel
//	              binding advertisement
//	sasl2/scram   SCRAM-SHA-1, -256 and -512 and their -PLUS variants over
//	              tls-exporter, tls-server-end-point and tls-unique, with
//	              stored keys on the server and XEP-0474 downgrade
//	              protection; sasl2/scram/scramtest checks a store
//	sasl2/plain   PLAIN, offered only over TLS
//	bind2         XEP-0386 Bind 2: the inline <bind> feature, stable
//	              resources, hooks for inline carbons, CSI and stream
//	              management
//	fast          XEP-0484 FAST: the HT mechanisms, token issue, rotation
//	              and invalidation, the client side and its token keeper;
//	              stores in fast/sqlitestore and fast/pgstore, their
//	              conformance suite in fast/fasttest
//	mfa           second factors as SASL2 tasks (docs/mfa.md): TOTP,
//	              recovery codes, policy, remembered devices, step-up and
//	              enrolment; WebAuthn in mfa/webauthn; stores in
//	              mfa/sqlitestore and mfa/pgstore, suites in mfa/mfatest
//	examples      a small c2s server and a command-line client built on
//	              the library
//
// Grants with OAUTHBEARER and client access management (XEP-0494) are to
// plug into the same seams.
//
// Every state machine takes decoded elements and returns elements to send:
// it never owns a connection, a goroutine or a timer. Storage is an
// interface owned by the package that needs it. Golden XML vectors for every
// package live in testdata.
package xmppauth
