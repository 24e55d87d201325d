package mfatest

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
)

// TestRecoveryStore runs the conformance suite for mfa.RecoveryStore, as
// TestTOTPStore does for its interface.
func TestRecoveryStore(t *testing.T, newStore func(t *testing.T) mfa.RecoveryStore) {
	t.Helper()
	run(t, recoveryTests, newStore)
}

// hash returns the stand-in hash of code n of a set named set.
func hash(set string, n int) []byte {
	h := sha256.Sum256([]byte{byte(n), 0, 0xff})
	return append([]byte(set+"\x00"), h[:]...)
}

// codes returns a set of n codes for account.
func codes(account, set string, n int) *mfa.RecoveryCodes {
	c := &mfa.RecoveryCodes{Account: account, Created: at}
	for i := range n {
		c.Hashes = append(c.Hashes, hash(set, i))
	}
	return c
}

// replace stores c and fails t on error.
func replace(t *testing.T, s mfa.RecoveryStore, c *mfa.RecoveryCodes) {
	t.Helper()
	is(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(t.Context(), c), nil)
}

// holds fails t unless the account's set holds exactly want, in any
// order.
func holds(t *testing.T, s mfa.RecoveryStore, account string, want [][]byte) *mfa.RecoveryCodes {
	t.Helper()
	c, err := s.RecoveryCodes(t.Context(), account)
	is(t, "RecoveryCodes", err, nil)
	sortHashes := func(h [][]byte) [][]byte {
		h = slices.Clone(h)
		slices.SortFunc(h, bytes.Compare)
		return h
	}
	got, w := sortHashes(c.Hashes), sortHashes(want)
	if !slices.EqualFunc(got, w, bytes.Equal) {
		t.Fatalf("%s holds %d hashes %x, want %d %x",
			account, len(got), got, len(w), w)
	}
	return c
}

var recoveryTests = []test[mfa.RecoveryStore]{{
	"An unknown account has no codes",
	func(t *testing.T, s mfa.RecoveryStore) {
		ctx := t.Context()
		_, err := s.RecoveryCodes(ctx, alice)
		is(t, "RecoveryCodes", err, mfa.ErrNotFound)
		_, err = s.ConsumeRecoveryCode(ctx, alice, hash("a", 0), at)
		is(t, "ConsumeRecoveryCode", err, mfa.ErrNotFound)
		is(t, "DeleteRecoveryCodes", s.DeleteRecoveryCodes(ctx, alice),
			mfa.ErrNotFound)
	},
}, {
	"A set reads back whole",
	func(t *testing.T, s mfa.RecoveryStore) {
		want := codes(alice, "a", 10)
		replace(t, s, want)
		c := holds(t, s, alice, want.Hashes)
		if c.Account != alice || !same(c.Created, at) || !c.LastUsed.IsZero() {
			t.Errorf("set %+v, want account %s created %v never used",
				c, alice, at)
		}
	},
}, {
	"A code is consumed once",
	func(t *testing.T, s mfa.RecoveryStore) {
		ctx := t.Context()
		set := codes(alice, "a", 10)
		replace(t, s, set)
		later := at.Add(time.Hour)
		n, err := s.ConsumeRecoveryCode(ctx, alice, hash("a", 3), later)
		is(t, "first use", err, nil)
		if n != 9 {
			t.Errorf("remaining = %d, want 9", n)
		}
		_, err = s.ConsumeRecoveryCode(ctx, alice, hash("a", 3), later)
		is(t, "second use", err, mfa.ErrConflict)
		c := holds(t, s, alice, slices.Delete(set.Hashes, 3, 4))
		if !same(c.LastUsed, later) {
			t.Errorf("LastUsed = %v, want %v", c.LastUsed, later)
		}
	},
}, {
	"Only a whole stored hash matches",
	func(t *testing.T, s mfa.RecoveryStore) {
		ctx := t.Context()
		set := codes(alice, "a", 10)
		replace(t, s, set)
		h := hash("a", 0)
		for _, bad := range [][]byte{h[:len(h)-1], append(h, 0), {}, nil,
			hash("b", 0)} {
			_, err := s.ConsumeRecoveryCode(ctx, alice, bad, at)
			is(t, "a wrong hash", err, mfa.ErrConflict)
		}
		holds(t, s, alice, set.Hashes)
	},
}, {
	"A used-up set remains, empty",
	func(t *testing.T, s mfa.RecoveryStore) {
		replace(t, s, codes(alice, "a", 2))
		for i := range 2 {
			n, err := s.ConsumeRecoveryCode(t.Context(), alice,
				hash("a", i), at)
			is(t, "ConsumeRecoveryCode", err, nil)
			if n != 1-i {
				t.Errorf("remaining = %d, want %d", n, 1-i)
			}
		}
		holds(t, s, alice, nil)
	},
}, {
	"A new set replaces the old one whole",
	func(t *testing.T, s mfa.RecoveryStore) {
		replace(t, s, codes(alice, "a", 10))
		b := codes(alice, "b", 12)
		replace(t, s, b)
		holds(t, s, alice, b.Hashes)
		_, err := s.ConsumeRecoveryCode(t.Context(), alice, hash("a", 1), at)
		is(t, "an old code", err, mfa.ErrConflict)
	},
}, {
	"Deleting removes the set",
	func(t *testing.T, s mfa.RecoveryStore) {
		replace(t, s, codes(alice, "a", 10))
		is(t, "DeleteRecoveryCodes",
			s.DeleteRecoveryCodes(t.Context(), alice), nil)
		_, err := s.RecoveryCodes(t.Context(), alice)
		is(t, "RecoveryCodes", err, mfa.ErrNotFound)
	},
}, {
	"Accounts are kept apart, even with equal hashes",
	func(t *testing.T, s mfa.RecoveryStore) {
		a, b := codes(alice, "x", 10), codes(bob, "x", 10)
		replace(t, s, a)
		replace(t, s, b)
		_, err := s.ConsumeRecoveryCode(t.Context(), bob, hash("x", 0), at)
		is(t, "bob's code", err, nil)
		holds(t, s, alice, a.Hashes)
	},
}, {
	"Sets read are copies",
	func(t *testing.T, s mfa.RecoveryStore) {
		set := codes(alice, "a", 10)
		replace(t, s, set)
		set.Hashes[0][0] ^= 0xff
		c, err := s.RecoveryCodes(t.Context(), alice)
		is(t, "RecoveryCodes", err, nil)
		c.Hashes[1][0] ^= 0xff
		holds(t, s, alice, codes(alice, "a", 10).Hashes)
	},
}, {
	"Concurrent uses of one code let exactly one win",
	func(t *testing.T, s mfa.RecoveryStore) {
		set := codes(alice, "a", 10)
		replace(t, s, set)
		wins(t, race(racers, func(int) error {
			_, err := s.ConsumeRecoveryCode(t.Context(), alice,
				hash("a", 5), at)
			return err
		}), 1, mfa.ErrConflict)
		holds(t, s, alice, slices.Delete(set.Hashes, 5, 6))
	},
}, {
	"Concurrent uses of every code let each win once",
	func(t *testing.T, s mfa.RecoveryStore) {
		replace(t, s, codes(alice, "a", 16))
		wins(t, race(racers, func(i int) error {
			_, err := s.ConsumeRecoveryCode(t.Context(), alice,
				hash("a", i%16), at)
			return err
		}), 16, mfa.ErrConflict)
		holds(t, s, alice, nil)
	},
}}
