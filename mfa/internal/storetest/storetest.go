// Package storetest runs the conformance suites of package mfatest on
// the SQL stores of package mfa: on one handle, through several handles
// on one database, as processes or nodes would share it, and in rounds of
// races between handles for each kind of single-use proof.
package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/mfatest"
)

// Store is what each SQL store implements.
type Store interface {
	mfa.TOTPStore
	mfa.RecoveryStore
	mfa.WebAuthnStore
}

// Run runs the three suites, and checks of what the SQL stores do beyond
// them, each subtest on a new, empty store.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("TOTP", func(t *testing.T) {
		mfatest.TestTOTPStore(t, func(t *testing.T) mfa.TOTPStore {
			return newStore(t)
		})
	})
	t.Run("Recovery", func(t *testing.T) {
		mfatest.TestRecoveryStore(t, func(t *testing.T) mfa.RecoveryStore {
			return newStore(t)
		})
	})
	t.Run("WebAuthn", func(t *testing.T) {
		mfatest.TestWebAuthnStore(t, func(t *testing.T) mfa.WebAuthnStore {
			return newStore(t)
		})
	})
	t.Run("SQL", func(t *testing.T) {
		for _, tc := range extra {
			t.Run(tc.name, func(t *testing.T) {
				tc.run(t, newStore(t))
			})
		}
	})
}

// RunShared runs the three suites through stores that share one
// database: each subtest calls newStores once for two or more stores on
// a new, empty database, and sends every call to the next of them in
// turn, so that racing goroutines race through different handles.
func RunShared(t *testing.T, newStores func(t *testing.T) []Store) {
	Run(t, func(t *testing.T) Store {
		stores := newStores(t)
		if len(stores) < 2 {
			t.Fatalf("newStores made %d stores, want two or more",
				len(stores))
		}
		return &spread{stores: stores}
	})
}

// spread is a Store that sends each call to the next of its stores.
type spread struct {
	stores []Store
	calls  atomic.Uint64
}

func (s *spread) next() Store {
	n := s.calls.Add(1) - 1
	return s.stores[n%uint64(len(s.stores))]
}

func (s *spread) TOTP(ctx context.Context, account string) (
	*mfa.TOTPRecord, error) {
	return s.next().TOTP(ctx, account)
}

func (s *spread) PutTOTP(ctx context.Context, r *mfa.TOTPRecord) error {
	return s.next().PutTOTP(ctx, r)
}

func (s *spread) ActivateTOTP(ctx context.Context, account, id string,
	step int64, at time.Time) error {
	return s.next().ActivateTOTP(ctx, account, id, step, at)
}

func (s *spread) ReserveTOTPAttempt(ctx context.Context, account string,
	failures int, at time.Time) error {
	return s.next().ReserveTOTPAttempt(ctx, account, failures, at)
}

func (s *spread) ConsumeTOTPStep(ctx context.Context, account string,
	step int64, at time.Time) error {
	return s.next().ConsumeTOTPStep(ctx, account, step, at)
}

func (s *spread) UnlockTOTP(ctx context.Context, account string) error {
	return s.next().UnlockTOTP(ctx, account)
}

func (s *spread) DeleteTOTP(ctx context.Context, account string) error {
	return s.next().DeleteTOTP(ctx, account)
}

func (s *spread) RecoveryCodes(ctx context.Context, account string) (
	*mfa.RecoveryCodes, error) {
	return s.next().RecoveryCodes(ctx, account)
}

func (s *spread) ReplaceRecoveryCodes(ctx context.Context,
	c *mfa.RecoveryCodes) error {
	return s.next().ReplaceRecoveryCodes(ctx, c)
}

func (s *spread) ConsumeRecoveryCode(ctx context.Context, account string,
	hash []byte, at time.Time) (int, error) {
	return s.next().ConsumeRecoveryCode(ctx, account, hash, at)
}

func (s *spread) DeleteRecoveryCodes(ctx context.Context,
	account string) error {
	return s.next().DeleteRecoveryCodes(ctx, account)
}

func (s *spread) WebAuthnCredentials(ctx context.Context, account string) (
	[]mfa.WebAuthnCredential, error) {
	return s.next().WebAuthnCredentials(ctx, account)
}

func (s *spread) AddWebAuthnCredential(ctx context.Context,
	c *mfa.WebAuthnCredential) error {
	return s.next().AddWebAuthnCredential(ctx, c)
}

func (s *spread) UseWebAuthnCredential(ctx context.Context, account string,
	id []byte, old, count uint32, backupState bool, at time.Time) error {
	return s.next().UseWebAuthnCredential(ctx, account, id, old, count,
		backupState, at)
}

func (s *spread) RemoveWebAuthnCredential(ctx context.Context,
	account string, id []byte) error {
	return s.next().RemoveWebAuthnCredential(ctx, account, id)
}

func (s *spread) PutWebAuthnChallenge(ctx context.Context,
	c *mfa.WebAuthnChallenge) error {
	return s.next().PutWebAuthnChallenge(ctx, c)
}

func (s *spread) TakeWebAuthnChallenge(ctx context.Context, account,
	id string) (*mfa.WebAuthnChallenge, error) {
	return s.next().TakeWebAuthnChallenge(ctx, account, id)
}
