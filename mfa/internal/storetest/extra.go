package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
)

// extra are the checks of what the SQL stores do beyond the suites: how
// they pack recovery hashes into one column, and how many ceremonies an
// account keeps.
var extra = []struct {
	name string
	run  func(t *testing.T, s Store)
}{{
	"A hash that ends a stored one does not match it",
	func(t *testing.T, s Store) {
		ctx := t.Context()
		long := []byte("\x01\x02\x03\x04")
		ok(t, s.ReplaceRecoveryCodes(ctx, &mfa.RecoveryCodes{
			Account: "alice", Hashes: [][]byte{long}}))
		for _, h := range [][]byte{long[1:], long[2:], long[:3], {}} {
			_, err := s.ConsumeRecoveryCode(ctx, "alice", h, at)
			if !errors.Is(err, mfa.ErrConflict) {
				t.Errorf("consume %x of %x: %v, want ErrConflict",
					h, long, err)
			}
		}
	},
}, {
	"An empty set holds no empty hash",
	func(t *testing.T, s Store) {
		ctx := t.Context()
		ok(t, s.ReplaceRecoveryCodes(ctx, &mfa.RecoveryCodes{
			Account: "alice"}))
		_, err := s.ConsumeRecoveryCode(ctx, "alice", nil, at)
		if !errors.Is(err, mfa.ErrConflict) {
			t.Errorf("consume of nothing: %v, want ErrConflict", err)
		}
	},
}, {
	"A set keeps each hash once",
	func(t *testing.T, s Store) {
		ctx := t.Context()
		h := []byte("twice")
		ok(t, s.ReplaceRecoveryCodes(ctx, &mfa.RecoveryCodes{
			Account: "alice", Hashes: [][]byte{h, h}}))
		n, err := s.ConsumeRecoveryCode(ctx, "alice", h, at)
		if err != nil || n != 0 {
			t.Errorf("consume = %d, %v, want 0 left", n, err)
		}
	},
}, {
	"An account keeps the 16 ceremonies that expire last, and the newest",
	func(t *testing.T, s Store) {
		ctx := t.Context()
		put := func(id string, expiry time.Time) {
			ok(t, s.PutWebAuthnChallenge(ctx, &mfa.WebAuthnChallenge{
				ID: id, Account: "alice", Kind: "login", Expiry: expiry}))
		}
		var ids []string
		for i := range 20 {
			ids = append(ids, fmt.Sprint("c", i))
			put(ids[i], at.Add(time.Duration(i)*time.Minute))
		}
		put("early", at.Add(-time.Hour))
		ok(t, s.PutWebAuthnChallenge(ctx, &mfa.WebAuthnChallenge{
			ID: "bob's", Account: "bob", Expiry: at.Add(-time.Hour)}))

		keep := append(slices.Clone(ids[5:]), "early")
		for _, id := range slices.Concat(ids, []string{"early"}) {
			_, err := s.TakeWebAuthnChallenge(ctx, "alice", id)
			switch {
			case slices.Contains(keep, id) && err != nil:
				t.Errorf("take %s: %v, want it kept", id, err)
			case !slices.Contains(keep, id) && err == nil:
				t.Errorf("took %s, want it dropped", id)
			}
		}
		if _, err := s.TakeWebAuthnChallenge(ctx, "bob", "bob's"); err != nil {
			t.Errorf("bob's ceremony: %v", err)
		}
	},
}}
