// Package fasttest is the conformance suite for implementations of
// fast.Store. An adapter runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		fasttest.TestStore(t, func(t *testing.T) fast.Store {
//			return newEmptyStore(t)
//		})
//	}
//
// The suite checks every rule of the fast.Store contract: the two slots,
// issue, promotion, the replay count, invalidation, revocation, isolation
// between users and clients, and races between goroutines on one token. It
// asks the store to keep Issued and Expiry to the second at least; stores
// that keep more precision pass too. It treats a nil and an empty Sealed or
// Factors as equal, and compares times as instants, whatever their location.
//
// Where the contract leaves room, the suite holds stores to one reading:
// Use and Invalidate for a client without a record fail with
// fast.ErrConflict, not fast.ErrNotFound; Revoke of a user without tokens
// succeeds and creates no record; Issue keeps t.Count as given; the count
// is per token, so promoting New compares with the New token's count, not
// Current's; and a store keeps copies, so that changing a Token after
// Issue or after Tokens returns it changes nothing stored.
//
// A durable store runs TestShared too, with several handles or pools on
// one database, as several processes or server nodes would open it.
package fasttest
