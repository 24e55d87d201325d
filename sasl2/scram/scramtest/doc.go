// Package scramtest is the conformance suite for implementations of
// scram.Store. An adapter runs it from its own tests, filling a fresh
// store with the entries the suite asks for:
//
//	func TestStore(t *testing.T) {
//		scramtest.TestStore(t, func(t *testing.T, es []scramtest.Entry) scram.Store {
//			s := newEmptyStore(t)
//			for _, e := range es {
//				s.Put(e.User, e.Hash, e.Credentials)
//			}
//			return s
//		})
//	}
//
// The suite checks that credentials come back byte for byte for their
// user and hash, that names with commas, equals signs and non-ASCII
// letters are kept apart from their neighbours and are not trimmed, that a
// missing user or hash is reported with scram.ErrUnknownUser, and that
// concurrent reads are safe. It does not test case: a store may fold it,
// as XMPP localparts do.
package scramtest
