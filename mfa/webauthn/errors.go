package webauthn

import "errors"

// Causes of a task failure that package mfa has no sentinel for. They
// reach the host through the audit event's Err, beside mfa.ErrRejected,
// and never go on the wire. Other refusals carry go-webauthn's words for
// the check that failed.
var (
	// ErrCloned: the signature counter of the assertion is not above the
	// stored one (WebAuthn L2 §7.2 step 21), so the authenticator may
	// have been cloned. The stored counter is left as it was.
	ErrCloned = errors.New("webauthn: signature counter did not increase")
	// ErrExpired: the challenge was older than Config.ChallengeTTL.
	ErrExpired = errors.New("webauthn: challenge expired")
)
