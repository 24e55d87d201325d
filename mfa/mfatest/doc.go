// Package mfatest holds the conformance suites for implementations of the
// mfa store interfaces. An adapter runs them from its own tests:
//
//	func TestStores(t *testing.T) {
//		mfatest.TestTOTPStore(t, func(t *testing.T) mfa.TOTPStore {
//			return newEmptyStore(t)
//		})
//		mfatest.TestRecoveryStore(t, …)
//		mfatest.TestWebAuthnStore(t, …)
//	}
//
// Each suite checks every rule of its contract: not-found and conflict
// errors, each compare-and-set, isolation between accounts, copies that
// share no memory with the store, and races of 64 goroutines for one
// proof (one TOTP step, one recovery code, one WebAuthn challenge) of
// which exactly one must win. Times are compared as instants to within a
// second; nil and empty byte slices are equal.
package mfatest
