// Package webauthn implements MFA-WEBAUTHN, the WebAuthn second factor of
// docs/mfa.md §4.5, and the enrolment of WebAuthn credentials of §6.3.
//
// # Server
//
// New returns a Factor, an mfa.Factor for mfa.NewServer: its task sends
// request options with a fresh challenge and the account's credentials,
// and verifies the assertion the client returns with the WebAuthn
// implementation of github.com/go-webauthn/webauthn. On top of what that
// library checks (challenge, origin, RP ID hash, user presence and
// verification, signature) the task fails a signature counter that did
// not increase (a possibly cloned authenticator), backup flags that
// contradict each other or the stored credential, and a counter that
// another login advanced meanwhile. A challenge is used up by the first
// answer, whether it verifies or not.
//
// Factor.Begin and Factor.Finish register a credential: Begin returns the
// creation options of an <enrol type='webauthn'> result and Finish
// verifies the attestation of the <confirm>.
//
// # Client
//
// Client returns the sasl2.ClientTask of MFA-WEBAUTHN. It hands the
// server's request options to an Authenticator, which stands for
// navigator.credentials.get() or a platform's equivalent, and sends back
// the assertion.
package webauthn
