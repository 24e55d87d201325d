// Package fast implements FAST, XEP-0484: a client that logged in once
// comes back in one round trip with a token instead of its password, and
// the token can neither be replayed nor outlive its owner's trust.
//
// The package holds the HT mechanisms of draft-schmaus-kitten-sasl-ht-09,
// the server's inline <fast> feature with token issue, rotation and
// invalidation, the client side, and the Store of tokens with its
// in-memory implementation.
//
// # Mechanisms
//
// HT-<HASH>-<CB> names twenty mechanisms: SHA-256, SHA-384, SHA-512,
// SHA3-256 and SHA3-512, each with tls-exporter (EXPR),
// tls-server-end-point (ENDP), tls-unique (UNIQ) or no channel binding
// (NONE). The client sends the localpart, a NUL and HMAC(token,
// "Initiator" || cb-data); the server answers HMAC(token, "Responder" ||
// cb-data) in <additional-data>, which the client verifies. The key is the
// token string exactly as issued. Later IETF drafts changed the framing;
// the message format sits behind a small codec so that one of them could
// be added without touching the rest.
//
// # Server
//
// NewServer returns a sasl2.Extension that also brings the HT mechanisms,
// through sasl2.InlineMechanisms: they are offered inside <fast>, never in
// <authentication>, so they stay out of the XEP-0474 hash and the
// XEP-0440 list. Tokens live in two slots per account and user-agent id
// (see Store): a new token waits in New, the old one stays valid until
// the new one is used, and every use is recorded with one compare-and-set,
// which advances the replay count when the client sent one. Token secrets
// are sealed at rest (NewAESGCM), bound to the token's account, client,
// mechanism and expiry.
//
// The server never offers tls-0rtt: Go's crypto/tls has no TLS 1.3 early
// data for TCP. It still checks the count whenever a client sends one.
//
// # TLS 1.2
//
// Draft -09 lets HT run on TLS 1.2 only with the extended master secret
// (RFC 7627) or on a session that was not resumed. Both ends enforce it
// from the connection state that crypto/tls reports, so the host has
// nothing to configure, but a host that builds a tls.ConnectionState by
// hand must fill TLSUnique, as crypto/tls does. On a full TLS 1.2
// handshake without the extended master secret, -UNIQ, -ENDP and -NONE
// run, and -EXPR does not, since Go then refuses tls-exporter. On a
// resumed TLS 1.2 session without it, no HT mechanism runs: the client
// logs in with its password. TLS 1.3 needs none of this.
//
// # Client
//
// NewClient returns a sasl2.ClientExtension that keeps tokens through a
// Keeper, logs in with a token when it holds a usable one, and asks for a
// token on a password login. When a token login fails, the host calls
// Client.Failed and, on ErrRejected, authenticates again on a new
// connection.
package fast
