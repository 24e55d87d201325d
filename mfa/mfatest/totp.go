package mfatest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
)

// TestTOTPStore runs the conformance suite for mfa.TOTPStore. Each subtest
// calls newStore once and expects an empty store back; newStore should
// register its clean-up with t.Cleanup and fail t if it cannot make a
// store. Subtests run one after another.
func TestTOTPStore(t *testing.T, newStore func(t *testing.T) mfa.TOTPStore) {
	t.Helper()
	run(t, totpTests, newStore)
}

// pending returns a pending enrolment of account whose fields derive from
// id, so that a record mixing two enrolments shows.
func pending(account, id string) *mfa.TOTPRecord {
	return &mfa.TOTPRecord{
		Account: account,
		ID:      id,
		Sealed:  []byte("sealed\x00" + account + "\xff" + id),
		Digits:  6,
		Created: at,
	}
}

// put stores a pending enrolment and fails t on error.
func put(t *testing.T, s mfa.TOTPStore, r *mfa.TOTPRecord) {
	t.Helper()
	is(t, "PutTOTP", s.PutTOTP(t.Context(), r), nil)
}

// active stores an active enrolment of account with last step step.
func active(t *testing.T, s mfa.TOTPStore, account, id string, step int64) {
	t.Helper()
	put(t, s, pending(account, id))
	is(t, "ActivateTOTP",
		s.ActivateTOTP(t.Context(), account, id, step, at), nil)
}

// read returns the account's enrolment and fails t on error.
func read(t *testing.T, s mfa.TOTPStore, account string) *mfa.TOTPRecord {
	t.Helper()
	r, err := s.TOTP(t.Context(), account)
	is(t, "TOTP", err, nil)
	return r
}

// check fails t when r differs from want in any field.
func check(t *testing.T, r, want *mfa.TOTPRecord) {
	t.Helper()
	var d []string
	f := func(field string, ok bool, got, want any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s = %v, want %v", field, got, want))
		}
	}
	f("Account", r.Account == want.Account, r.Account, want.Account)
	f("ID", r.ID == want.ID, r.ID, want.ID)
	f("Sealed", bytes.Equal(r.Sealed, want.Sealed), r.Sealed, want.Sealed)
	f("Digits", r.Digits == want.Digits, r.Digits, want.Digits)
	f("Active", r.Active == want.Active, r.Active, want.Active)
	f("Created", same(r.Created, want.Created), r.Created, want.Created)
	f("LastUsed", same(r.LastUsed, want.LastUsed), r.LastUsed, want.LastUsed)
	f("LastStep", r.LastStep == want.LastStep, r.LastStep, want.LastStep)
	f("Failures", r.Failures == want.Failures, r.Failures, want.Failures)
	f("LastAttempt", same(r.LastAttempt, want.LastAttempt),
		r.LastAttempt, want.LastAttempt)
	for _, s := range d {
		t.Error(s)
	}
}

var totpTests = []test[mfa.TOTPStore]{{
	"An unknown account has no enrolment and nothing to change",
	func(t *testing.T, s mfa.TOTPStore) {
		ctx := t.Context()
		_, err := s.TOTP(ctx, alice)
		is(t, "TOTP", err, mfa.ErrNotFound)
		is(t, "UnlockTOTP", s.UnlockTOTP(ctx, alice), mfa.ErrNotFound)
		is(t, "DeleteTOTP", s.DeleteTOTP(ctx, alice), mfa.ErrNotFound)
		is(t, "ActivateTOTP", s.ActivateTOTP(ctx, alice, "a", 1, at),
			mfa.ErrConflict)
		is(t, "ConsumeTOTPStep", s.ConsumeTOTPStep(ctx, alice, 1, at),
			mfa.ErrConflict)
		is(t, "ReserveTOTPAttempt",
			s.ReserveTOTPAttempt(ctx, alice, 0, at), mfa.ErrConflict)
	},
}, {
	"A pending enrolment reads back whole",
	func(t *testing.T, s mfa.TOTPStore) {
		put(t, s, pending(alice, "a"))
		check(t, read(t, s, alice), pending(alice, "a"))
	},
}, {
	"A new pending enrolment replaces a pending one",
	func(t *testing.T, s mfa.TOTPStore) {
		put(t, s, pending(alice, "a"))
		put(t, s, pending(alice, "b"))
		check(t, read(t, s, alice), pending(alice, "b"))
		is(t, "ActivateTOTP the replaced one",
			s.ActivateTOTP(t.Context(), alice, "a", 7, at), mfa.ErrConflict)
	},
}, {
	"Activation records the confirming step and clears failures",
	func(t *testing.T, s mfa.TOTPStore) {
		ctx := t.Context()
		put(t, s, pending(alice, "a"))
		is(t, "ReserveTOTPAttempt",
			s.ReserveTOTPAttempt(ctx, alice, 0, at), nil)
		later := at.Add(time.Minute)
		is(t, "ActivateTOTP", s.ActivateTOTP(ctx, alice, "a", 7, later), nil)
		want := pending(alice, "a")
		want.Active, want.LastStep, want.LastUsed = true, 7, later
		want.LastAttempt = at
		check(t, read(t, s, alice), want)
		is(t, "ActivateTOTP again",
			s.ActivateTOTP(ctx, alice, "a", 8, later), mfa.ErrConflict)
	},
}, {
	"An active enrolment is not replaced",
	func(t *testing.T, s mfa.TOTPStore) {
		active(t, s, alice, "a", 7)
		is(t, "PutTOTP", s.PutTOTP(t.Context(), pending(alice, "b")),
			mfa.ErrConflict)
		if r := read(t, s, alice); r.ID != "a" || !r.Active {
			t.Errorf("enrolment %q active %v, want a, true", r.ID, r.Active)
		}
	},
}, {
	"Only a step above the last one is consumed",
	func(t *testing.T, s mfa.TOTPStore) {
		ctx := t.Context()
		active(t, s, alice, "a", 37037036)
		is(t, "the same step",
			s.ConsumeTOTPStep(ctx, alice, 37037036, at), mfa.ErrConflict)
		is(t, "an older step",
			s.ConsumeTOTPStep(ctx, alice, 37037035, at), mfa.ErrConflict)
		later := at.Add(30 * time.Second)
		is(t, "the next step",
			s.ConsumeTOTPStep(ctx, alice, 37037037, later), nil)
		r := read(t, s, alice)
		if r.LastStep != 37037037 || !same(r.LastUsed, later) {
			t.Errorf("LastStep %d LastUsed %v, want 37037037 %v",
				r.LastStep, r.LastUsed, later)
		}
		is(t, "the step before, again",
			s.ConsumeTOTPStep(ctx, alice, 37037036, later), mfa.ErrConflict)
	},
}, {
	"A pending enrolment consumes no step",
	func(t *testing.T, s mfa.TOTPStore) {
		put(t, s, pending(alice, "a"))
		is(t, "ConsumeTOTPStep",
			s.ConsumeTOTPStep(t.Context(), alice, 5, at), mfa.ErrConflict)
	},
}, {
	"Attempts are reserved by compare-and-set and cleared by success",
	func(t *testing.T, s mfa.TOTPStore) {
		ctx := t.Context()
		active(t, s, alice, "a", 1)
		is(t, "reserve 0", s.ReserveTOTPAttempt(ctx, alice, 0, at), nil)
		is(t, "reserve 0 again",
			s.ReserveTOTPAttempt(ctx, alice, 0, at), mfa.ErrConflict)
		later := at.Add(time.Hour)
		is(t, "reserve 1", s.ReserveTOTPAttempt(ctx, alice, 1, later), nil)
		r := read(t, s, alice)
		if r.Failures != 2 || !same(r.LastAttempt, later) {
			t.Errorf("Failures %d LastAttempt %v, want 2 %v",
				r.Failures, r.LastAttempt, later)
		}
		is(t, "consume", s.ConsumeTOTPStep(ctx, alice, 2, later), nil)
		if r := read(t, s, alice); r.Failures != 0 {
			t.Errorf("Failures after success = %d, want 0", r.Failures)
		}
		is(t, "reserve", s.ReserveTOTPAttempt(ctx, alice, 0, later), nil)
		is(t, "unlock", s.UnlockTOTP(ctx, alice), nil)
		if r := read(t, s, alice); r.Failures != 0 {
			t.Errorf("Failures after unlock = %d, want 0", r.Failures)
		}
	},
}, {
	"Attempts on a pending enrolment are counted too",
	func(t *testing.T, s mfa.TOTPStore) {
		put(t, s, pending(alice, "a"))
		is(t, "reserve",
			s.ReserveTOTPAttempt(t.Context(), alice, 0, at), nil)
		if r := read(t, s, alice); r.Failures != 1 {
			t.Errorf("Failures = %d, want 1", r.Failures)
		}
	},
}, {
	"Deleting removes the enrolment and allows a new one",
	func(t *testing.T, s mfa.TOTPStore) {
		ctx := t.Context()
		active(t, s, alice, "a", 9)
		is(t, "DeleteTOTP", s.DeleteTOTP(ctx, alice), nil)
		_, err := s.TOTP(ctx, alice)
		is(t, "TOTP", err, mfa.ErrNotFound)
		put(t, s, pending(alice, "b"))
		check(t, read(t, s, alice), pending(alice, "b"))
	},
}, {
	"Accounts are kept apart",
	func(t *testing.T, s mfa.TOTPStore) {
		ctx := t.Context()
		active(t, s, alice, "a", 100)
		put(t, s, pending(bob, "b"))
		is(t, "bob consumes", s.ConsumeTOTPStep(ctx, bob, 101, at),
			mfa.ErrConflict)
		is(t, "bob deletes", s.DeleteTOTP(ctx, bob), nil)
		if r := read(t, s, alice); r.ID != "a" || r.LastStep != 100 {
			t.Errorf("alice's enrolment changed: %+v", r)
		}
	},
}, {
	"Records read are copies",
	func(t *testing.T, s mfa.TOTPStore) {
		r := pending(alice, "a")
		put(t, s, r)
		r.Sealed[0] = 'X'
		got := read(t, s, alice)
		got.Sealed[1] = 'X'
		check(t, read(t, s, alice), pending(alice, "a"))
	},
}, {
	"Concurrent logins with one step let exactly one win",
	func(t *testing.T, s mfa.TOTPStore) {
		active(t, s, alice, "a", 37037035)
		wins(t, race(racers, func(int) error {
			return s.ConsumeTOTPStep(t.Context(), alice, 37037036, at)
		}), 1, mfa.ErrConflict)
		if r := read(t, s, alice); r.LastStep != 37037036 {
			t.Errorf("LastStep = %d, want 37037036", r.LastStep)
		}
	},
}, {
	"Concurrent logins with steps in the window keep the newest",
	func(t *testing.T, s mfa.TOTPStore) {
		active(t, s, alice, "a", 10)
		race(racers, func(i int) error {
			return s.ConsumeTOTPStep(t.Context(), alice, int64(11+i%3), at)
		})
		if r := read(t, s, alice); r.LastStep != 13 {
			t.Errorf("LastStep = %d, want 13", r.LastStep)
		}
	},
}, {
	"Concurrent attempts each need their own reservation",
	func(t *testing.T, s mfa.TOTPStore) {
		active(t, s, alice, "a", 1)
		wins(t, race(racers, func(int) error {
			return s.ReserveTOTPAttempt(t.Context(), alice, 0, at)
		}), 1, mfa.ErrConflict)
		if r := read(t, s, alice); r.Failures != 1 {
			t.Errorf("Failures = %d, want 1", r.Failures)
		}
	},
}, {
	"Concurrent confirmations activate once",
	func(t *testing.T, s mfa.TOTPStore) {
		put(t, s, pending(alice, "a"))
		wins(t, race(racers, func(i int) error {
			return s.ActivateTOTP(t.Context(), alice, "a", int64(i+1), at)
		}), 1, mfa.ErrConflict)
	},
}}
