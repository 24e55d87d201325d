package mfa

import (
	"errors"

	"github.com/xmppauth/xmppauth/sasl2"
)

// FailureText is the text of every task failure, whatever the cause, so
// that a failure tells nothing about which factors exist or what check
// failed (docs/mfa.md §4.6).
const FailureText = "second factor not accepted"

// Causes of a task failure. They reach the host through the audit event's
// Err (errors.Is works on it) and never go on the wire.
var (
	// ErrRejected: the code, recovery code or assertion is wrong.
	ErrRejected = errors.New("mfa: proof rejected")
	// ErrReplayed: the proof was valid but used before (a TOTP step not
	// above the last one accepted, a consumed recovery code).
	ErrReplayed = errors.New("mfa: proof already used")
	// ErrBackoff: an attempt came before the backoff delay ran out; its
	// code was not checked.
	ErrBackoff = errors.New("mfa: too soon after a failure")
	// ErrLocked: the factor is locked after too many failures.
	ErrLocked = errors.New("mfa: locked after too many failures")
	// ErrNotEnrolled: the account has no active factor of this kind.
	ErrNotEnrolled = errors.New("mfa: factor not enrolled")
	// ErrBusy: another attempt for the same account was being checked.
	ErrBusy = errors.New("mfa: concurrent attempt")
)

// taskFailure is a task's failure: the uniform *sasl2.Failure that goes
// on the wire, and the cause for the host's logs.
type taskFailure struct {
	f     *sasl2.Failure
	cause error
}

// Failed returns the error a Factor's task fails with: not-authorized with
// FailureText, wrapping cause so that errors.Is finds it, as well as the
// *sasl2.Failure. A malformed payload (ErrMalformed) fails with
// malformed-request instead, which says nothing about the account.
func Failed(cause error) error {
	cond := sasl2.NotAuthorized
	if errors.Is(cause, ErrMalformed) {
		cond = sasl2.MalformedRequest
	}
	return &taskFailure{f: sasl2.Fail(cond, FailureText), cause: cause}
}

// Error returns the cause's message.
func (e *taskFailure) Error() string { return e.cause.Error() }

// Unwrap returns the wire failure and the cause.
func (e *taskFailure) Unwrap() []error { return []error{e.f, e.cause} }
