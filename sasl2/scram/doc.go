// Package scram implements the SCRAM family of SASL mechanisms (RFC 5802,
// RFC 7677) for the sasl2 negotiation: SCRAM-SHA-1, SCRAM-SHA-256 and
// SCRAM-SHA-512, each also with channel binding (-PLUS) over tls-exporter
// (RFC 9266), tls-server-end-point and tls-unique (RFC 5929).
//
// The server side keeps only StoredKey and ServerKey (see Credentials),
// never the password or SaltedPassword. It reads them through a Store, sends
// the XEP-0474 downgrade-protection hash in every server-first message,
// refuses the 'y' flag where this connection offered channel binding, and
// gives an unknown user an exchange that fails exactly like a wrong
// password.
//
// The client side follows the business rules of XEP-0440 as revised by
// XEP-0474: it binds with the strongest type both ends support, refuses an
// offer that looks stripped, and verifies the server's hash and signature
// before it trusts the server.
//
// PlainVerifier lets the PLAIN mechanism of package plain check passwords
// against the same stored credentials.
package scram
