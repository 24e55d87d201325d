package mfa

import (
	"context"

	"github.com/xmppauth/xmppauth/sasl2"
)

// Factor is one kind of second factor, as a Server offers and runs it. A
// Factor serves every connection and must be safe for concurrent use.
// NewTOTP and NewRecovery return the factors of this package; package
// mfa/webauthn provides MFA-WEBAUTHN.
type Factor interface {
	// Name is the task name, such as TaskTOTP.
	Name() string
	// Enrolled reports whether account has an active factor of this
	// kind. An error fails the authentication closed.
	Enrolled(ctx context.Context, account string) (bool, error)
	// Task returns a fresh server task for one authentication, or one
	// step-up. Its Start reads the account from Result.User. It fails
	// with a *sasl2.Failure made by Failed (so that every failure reads
	// the same), or with any other error for a storage failure.
	Task() sasl2.Task
	// List describes the account's enrolled factors of this kind, for
	// the listing of docs/mfa.md §6.1.
	List(ctx context.Context, account string) ([]FactorInfo, error)
}
