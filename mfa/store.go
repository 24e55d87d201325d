package mfa

import (
	"context"
	"errors"
	"time"
)

// Errors a store returns. Any other error is a storage failure, which
// fails an authentication closed with temporary-auth-failure.
var (
	// ErrNotFound: the store holds no such record.
	ErrNotFound = errors.New("mfa: not found")
	// ErrConflict: a compare-and-set lost, because the record changed
	// since it was read, or the proof was consumed already.
	ErrConflict = errors.New("mfa: changed concurrently or already used")
)

// TOTPRecord is an account's TOTP enrolment as a TOTPStore keeps it.
type TOTPRecord struct {
	// Account is the account's localpart.
	Account string
	// ID names this enrolment: random, not secret. A confirmation
	// activates only the enrolment it verified.
	ID string
	// Sealed is the secret sealed with the server's Sealer, bound to the
	// account. A store never sees the secret itself.
	Sealed []byte
	// Digits is the code length, 6 or 8.
	Digits int
	// Active is false until a valid code confirmed the enrolment; a
	// pending enrolment is never offered at login.
	Active bool
	// Created is when the enrolment began; LastUsed when a code was last
	// accepted, zero if never.
	Created, LastUsed time.Time
	// LastStep is the highest RFC 6238 time step accepted, 0 if none. A
	// code is accepted only for a greater step.
	LastStep int64
	// Failures counts the attempts since the last success, each reserved
	// before its code is checked; LastAttempt is when the latest was
	// reserved. They drive the backoff and the lock.
	Failures    int
	LastAttempt time.Time
}

// TOTPStore keeps each account's TOTP enrolment. All methods must be safe
// for concurrent use, by goroutines and, for durable stores, by several
// processes sharing one database; every change is atomic, and of two
// changes that race on the same compare-and-set exactly one succeeds.
// Records returned are copies that share no memory with the store.
//
// One login costs one read (TOTP) and two compare-and-sets
// (ReserveTOTPAttempt, ConsumeTOTPStep).
type TOTPStore interface {
	// TOTP returns the account's enrolment, active or pending, or
	// ErrNotFound.
	TOTP(ctx context.Context, account string) (*TOTPRecord, error)
	// PutTOTP stores r, which is pending (r.Active false), replacing a
	// pending enrolment of r.Account. It fails with ErrConflict when the
	// account has an active enrolment.
	PutTOTP(ctx context.Context, r *TOTPRecord) error
	// ActivateTOTP makes the pending enrolment id of account active,
	// records step as its LastStep (the confirming code is used up), sets
	// LastUsed to at and clears Failures. It fails with ErrConflict unless
	// account has a pending enrolment named id.
	ActivateTOTP(ctx context.Context, account, id string, step int64, at time.Time) error
	// ReserveTOTPAttempt counts an attempt before its code is checked: it
	// sets Failures to failures+1 and LastAttempt to at. It fails with
	// ErrConflict unless the account's enrolment (active or pending)
	// exists and its Failures is still failures, so that concurrent
	// attempts each need their own reservation.
	ReserveTOTPAttempt(ctx context.Context, account string, failures int, at time.Time) error
	// ConsumeTOTPStep accepts a code of time step step: it sets LastStep
	// to step and LastUsed to at, and clears Failures. It fails with
	// ErrConflict unless the account's enrolment is active and step is
	// greater than LastStep (RFC 6238 §5.2: a code works once).
	ConsumeTOTPStep(ctx context.Context, account string, step int64, at time.Time) error
	// UnlockTOTP clears Failures, for an administrator. It fails with
	// ErrNotFound when there is no enrolment.
	UnlockTOTP(ctx context.Context, account string) error
	// DeleteTOTP removes the enrolment, active or pending. It fails with
	// ErrNotFound when there is none.
	DeleteTOTP(ctx context.Context, account string) error
}

// RecoveryCodes is an account's set of recovery codes as a RecoveryStore
// keeps it: only keyed hashes, never the codes.
type RecoveryCodes struct {
	// Account is the account's localpart.
	Account string
	// Hashes holds the hash of each unused code.
	Hashes [][]byte
	// Created is when the set was generated; LastUsed when a code was
	// last consumed, zero if never.
	Created, LastUsed time.Time
}

// RecoveryStore keeps each account's recovery codes. All methods must be
// safe for concurrent use, as for TOTPStore. Records returned are copies.
type RecoveryStore interface {
	// RecoveryCodes returns the account's set, or ErrNotFound. A set whose
	// codes are all used is returned with no hashes.
	RecoveryCodes(ctx context.Context, account string) (*RecoveryCodes, error)
	// ReplaceRecoveryCodes stores c as the set of c.Account, replacing
	// the old set whole.
	ReplaceRecoveryCodes(ctx context.Context, c *RecoveryCodes) error
	// ConsumeRecoveryCode removes the unused code whose hash is hash from
	// the account's set, sets LastUsed to at, and returns how many
	// unused codes remain. It fails with ErrNotFound when the account
	// has no set and with ErrConflict when no unused code has that hash:
	// of concurrent uses of one code exactly one succeeds. Hashes are
	// compared in constant time or looked up by equality; they are not
	// secret enough for timing to matter.
	ConsumeRecoveryCode(ctx context.Context, account string, hash []byte, at time.Time) (remaining int, err error)
	// DeleteRecoveryCodes removes the set. It fails with ErrNotFound when
	// there is none.
	DeleteRecoveryCodes(ctx context.Context, account string) error
}

// WebAuthnCredential is one registered WebAuthn credential. It holds no
// secret: the private key never leaves the authenticator.
type WebAuthnCredential struct {
	// Account is the account's localpart.
	Account string
	// ID is the credential id, unique across all accounts.
	ID []byte
	// Name is the user's label, or "".
	Name string
	// PublicKey is the COSE_Key of the credential.
	PublicKey []byte
	// AttestationType is the attestation conveyance used at registration
	// ("none" by default).
	AttestationType string
	// AAGUID identifies the authenticator model, when known.
	AAGUID []byte
	// Transports lists the authenticator transports ("usb", "internal"…).
	Transports []string
	// SignCount is the highest signature counter seen (WebAuthn L3
	// §6.1.1); 0 for an authenticator without one.
	SignCount uint32
	// BackupEligible is fixed at registration; BackupState is the
	// latest value of the BS flag.
	BackupEligible, BackupState bool
	// Created is when the credential was registered; LastUsed when it
	// last passed, zero if never.
	Created, LastUsed time.Time
}

// WebAuthnChallenge is one ceremony in progress: a registration or an
// assertion challenge, single use.
type WebAuthnChallenge struct {
	// ID names the ceremony: random, unique, not secret.
	ID string
	// Account is the account's localpart.
	Account string
	// Kind is "register" or "login".
	Kind string
	// Data is the ceremony's state as the WebAuthn code serialises it
	// (the challenge, allowed credentials, user-verification policy,
	// the label to register). The store keeps it opaque.
	Data []byte
	// Expiry is when the challenge stops being usable.
	Expiry time.Time
}

// WebAuthnStore keeps each account's WebAuthn credentials and its
// ceremonies in progress. All methods must be safe for concurrent use,
// as for TOTPStore. Records returned are copies.
type WebAuthnStore interface {
	// WebAuthnCredentials returns the account's credentials, none (and no
	// error) when it has none.
	WebAuthnCredentials(ctx context.Context, account string) ([]WebAuthnCredential, error)
	// AddWebAuthnCredential stores c. It fails with ErrConflict when a
	// credential with c.ID exists, for any account.
	AddWebAuthnCredential(ctx context.Context, c *WebAuthnCredential) error
	// UseWebAuthnCredential records an assertion: the sign counter
	// becomes count, BackupState backupState and LastUsed at. It fails
	// with ErrConflict unless the account's credential id still has the
	// counter old, and with ErrNotFound when there is no such
	// credential. The caller has checked that count is above old (or
	// both are zero); a store never lowers a counter.
	UseWebAuthnCredential(ctx context.Context, account string, id []byte, old, count uint32, backupState bool, at time.Time) error
	// RemoveWebAuthnCredential removes the account's credential id. It
	// fails with ErrNotFound when there is none.
	RemoveWebAuthnCredential(ctx context.Context, account string, id []byte) error
	// PutWebAuthnChallenge stores a ceremony in progress. It fails with
	// ErrConflict when c.ID exists.
	PutWebAuthnChallenge(ctx context.Context, c *WebAuthnChallenge) error
	// TakeWebAuthnChallenge removes the account's ceremony id and returns
	// it, expired or not: of concurrent takes exactly one gets it, the
	// others ErrNotFound. A store may drop expired ceremonies at any
	// time.
	TakeWebAuthnChallenge(ctx context.Context, account, id string) (*WebAuthnChallenge, error)
}
