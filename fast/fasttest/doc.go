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
// A durable store runs TestShared too, with several handles or pools on
// one database, as several processes or server nodes would open it.
package fasttest
