// Package plain implements the PLAIN SASL mechanism (RFC 4616) for the
// sasl2 negotiation, on both sides.
//
// PLAIN sends the password itself, so the server offers it only on an
// encrypted stream, and a client that once authenticated an account with
// SCRAM refuses to fall back to it (XEP-0474 §4). The server checks
// passwords through a Verifier; scram.PlainVerifier provides one over
// stored SCRAM credentials.
package plain
