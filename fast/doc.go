// Package fast implements FAST, XEP-0484: a client that logged in once
// comes back in one round trip with a token instead of its password, and
// the token can neither be replayed nor outlive its owner's trust.
//
// The package holds the HT mechanisms of draft-schmaus-kitten-sasl-ht-09,
// the server's inline <fast> feature with token issue, rotation and
// invalidation, the client side, and the Store of tokens with its
// in-memory implementation.
package fast
