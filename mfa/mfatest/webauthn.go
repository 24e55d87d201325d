package mfatest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
)

// TestWebAuthnStore runs the conformance suite for mfa.WebAuthnStore, as
// TestTOTPStore does for its interface.
func TestWebAuthnStore(t *testing.T, newStore func(t *testing.T) mfa.WebAuthnStore) {
	t.Helper()
	run(t, webauthnTests, newStore)
}

// credential returns a credential of account whose fields derive from id.
func credential(account, id string) *mfa.WebAuthnCredential {
	return &mfa.WebAuthnCredential{
		Account:         account,
		ID:              []byte("cred\x00\xff" + id),
		Name:            "key " + id,
		PublicKey:       []byte("cose\x00" + id),
		AttestationType: "none",
		AAGUID:          bytes.Repeat([]byte{id[0]}, 16),
		Transports:      []string{"usb", "nfc-" + id},
		SignCount:       5,
		BackupEligible:  true,
		BackupState:     false,
		Created:         at,
	}
}

// ceremony returns a ceremony of account named id.
func ceremony(account, id string) *mfa.WebAuthnChallenge {
	return &mfa.WebAuthnChallenge{
		ID: id, Account: account, Kind: "login",
		Data:   []byte(`{"challenge":"` + id + `"}` + "\x00"),
		Expiry: at.Add(5 * time.Minute),
	}
}

// add stores c and fails t on error.
func add(t *testing.T, s mfa.WebAuthnStore, c *mfa.WebAuthnCredential) {
	t.Helper()
	is(t, "AddWebAuthnCredential", s.AddWebAuthnCredential(t.Context(), c), nil)
}

// creds fails t unless the account has exactly want, in any order.
func creds(t *testing.T, s mfa.WebAuthnStore, account string, want ...*mfa.WebAuthnCredential) []mfa.WebAuthnCredential {
	t.Helper()
	got, err := s.WebAuthnCredentials(t.Context(), account)
	is(t, "WebAuthnCredentials", err, nil)
	if len(got) != len(want) {
		t.Fatalf("%s has %d credentials, want %d", account, len(got), len(want))
	}
	for _, w := range want {
		i := slices.IndexFunc(got, func(c mfa.WebAuthnCredential) bool {
			return bytes.Equal(c.ID, w.ID)
		})
		if i < 0 {
			t.Fatalf("%s lacks credential %q", account, w.ID)
		}
		if d := credDiff(&got[i], w); d != "" {
			t.Errorf("credential %q: %s", w.ID, d)
		}
	}
	return got
}

func credDiff(g, w *mfa.WebAuthnCredential) string {
	switch {
	case g.Account != w.Account || g.Name != w.Name ||
		g.AttestationType != w.AttestationType:
		return fmt.Sprintf("got %q %q %q, want %q %q %q", g.Account, g.Name,
			g.AttestationType, w.Account, w.Name, w.AttestationType)
	case !bytes.Equal(g.PublicKey, w.PublicKey) ||
		!bytes.Equal(g.AAGUID, w.AAGUID):
		return "public key or AAGUID differ"
	case !slices.Equal(g.Transports, w.Transports):
		return fmt.Sprintf("transports %q, want %q", g.Transports, w.Transports)
	case g.SignCount != w.SignCount:
		return fmt.Sprintf("sign count %d, want %d", g.SignCount, w.SignCount)
	case g.BackupEligible != w.BackupEligible ||
		g.BackupState != w.BackupState:
		return "backup flags differ"
	case !same(g.Created, w.Created) || !same(g.LastUsed, w.LastUsed):
		return fmt.Sprintf("times %v %v, want %v %v",
			g.Created, g.LastUsed, w.Created, w.LastUsed)
	}
	return ""
}

var webauthnTests = []test[mfa.WebAuthnStore]{{
	"An unknown account has no credentials and no ceremonies",
	func(t *testing.T, s mfa.WebAuthnStore) {
		ctx := t.Context()
		creds(t, s, alice)
		c := credential(alice, "a")
		is(t, "UseWebAuthnCredential", s.UseWebAuthnCredential(ctx, alice,
			c.ID, 5, 6, false, at), mfa.ErrNotFound)
		is(t, "RemoveWebAuthnCredential",
			s.RemoveWebAuthnCredential(ctx, alice, c.ID), mfa.ErrNotFound)
		_, err := s.TakeWebAuthnChallenge(ctx, alice, "x")
		is(t, "TakeWebAuthnChallenge", err, mfa.ErrNotFound)
	},
}, {
	"Credentials read back whole",
	func(t *testing.T, s mfa.WebAuthnStore) {
		a, b := credential(alice, "a"), credential(alice, "b")
		b.SignCount, b.BackupEligible, b.Transports = 0, false, nil
		add(t, s, a)
		add(t, s, b)
		creds(t, s, alice, a, b)
	},
}, {
	"A credential id is unique across accounts",
	func(t *testing.T, s mfa.WebAuthnStore) {
		add(t, s, credential(alice, "a"))
		is(t, "same account", s.AddWebAuthnCredential(t.Context(),
			credential(alice, "a")), mfa.ErrConflict)
		is(t, "other account", s.AddWebAuthnCredential(t.Context(),
			credential(bob, "a")), mfa.ErrConflict)
		creds(t, s, bob)
	},
}, {
	"The sign counter moves by compare-and-set",
	func(t *testing.T, s mfa.WebAuthnStore) {
		ctx := t.Context()
		c := credential(alice, "a")
		add(t, s, c)
		later := at.Add(time.Hour)
		is(t, "stale counter", s.UseWebAuthnCredential(ctx, alice, c.ID,
			4, 6, true, later), mfa.ErrConflict)
		creds(t, s, alice, c)
		is(t, "current counter", s.UseWebAuthnCredential(ctx, alice, c.ID,
			5, 100, true, later), nil)
		c.SignCount, c.BackupState, c.LastUsed = 100, true, later
		creds(t, s, alice, c)
		is(t, "other account", s.UseWebAuthnCredential(ctx, bob, c.ID,
			100, 101, true, later), mfa.ErrNotFound)
	},
}, {
	"An authenticator without a counter stays at zero",
	func(t *testing.T, s mfa.WebAuthnStore) {
		c := credential(alice, "a")
		c.SignCount = 0
		add(t, s, c)
		is(t, "zero to zero", s.UseWebAuthnCredential(t.Context(), alice,
			c.ID, 0, 0, false, at), nil)
		c.LastUsed = at
		creds(t, s, alice, c)
	},
}, {
	"Removing a credential frees its id",
	func(t *testing.T, s mfa.WebAuthnStore) {
		ctx := t.Context()
		a, b := credential(alice, "a"), credential(alice, "b")
		add(t, s, a)
		add(t, s, b)
		is(t, "bob removes", s.RemoveWebAuthnCredential(ctx, bob, a.ID),
			mfa.ErrNotFound)
		is(t, "alice removes", s.RemoveWebAuthnCredential(ctx, alice, a.ID), nil)
		creds(t, s, alice, b)
		add(t, s, credential(bob, "a"))
		creds(t, s, bob, credential(bob, "a"))
	},
}, {
	"Credentials read are copies",
	func(t *testing.T, s mfa.WebAuthnStore) {
		c := credential(alice, "a")
		add(t, s, c)
		c.PublicKey[0], c.Transports[0] = 'X', "ble"
		got := creds(t, s, alice, credential(alice, "a"))
		got[0].PublicKey[1], got[0].ID[0] = 'X', 'X'
		creds(t, s, alice, credential(alice, "a"))
	},
}, {
	"A ceremony is taken once, by its account",
	func(t *testing.T, s mfa.WebAuthnStore) {
		ctx := t.Context()
		want := ceremony(alice, "c1")
		is(t, "PutWebAuthnChallenge", s.PutWebAuthnChallenge(ctx, want), nil)
		is(t, "the same id again", s.PutWebAuthnChallenge(ctx,
			ceremony(alice, "c1")), mfa.ErrConflict)
		_, err := s.TakeWebAuthnChallenge(ctx, bob, "c1")
		is(t, "bob takes", err, mfa.ErrNotFound)
		got, err := s.TakeWebAuthnChallenge(ctx, alice, "c1")
		is(t, "alice takes", err, nil)
		if got.ID != want.ID || got.Account != alice || got.Kind != want.Kind ||
			!bytes.Equal(got.Data, want.Data) || !same(got.Expiry, want.Expiry) {
			t.Errorf("took %+v, want %+v", got, want)
		}
		_, err = s.TakeWebAuthnChallenge(ctx, alice, "c1")
		is(t, "alice takes again", err, mfa.ErrNotFound)
	},
}, {
	"Concurrent takes of one ceremony let exactly one win",
	func(t *testing.T, s mfa.WebAuthnStore) {
		is(t, "PutWebAuthnChallenge", s.PutWebAuthnChallenge(t.Context(),
			ceremony(alice, "c1")), nil)
		wins(t, race(racers, func(int) error {
			_, err := s.TakeWebAuthnChallenge(t.Context(), alice, "c1")
			return err
		}), 1, mfa.ErrNotFound)
	},
}, {
	"Concurrent assertions with one counter let exactly one win",
	func(t *testing.T, s mfa.WebAuthnStore) {
		c := credential(alice, "a")
		add(t, s, c)
		wins(t, race(racers, func(i int) error {
			return s.UseWebAuthnCredential(t.Context(), alice, c.ID, 5,
				uint32(6+i), false, at)
		}), 1, mfa.ErrConflict)
	},
}, {
	"Concurrent registrations of one id let exactly one win",
	func(t *testing.T, s mfa.WebAuthnStore) {
		wins(t, race(racers, func(i int) error {
			account := alice
			if i%2 == 1 {
				account = bob
			}
			return s.AddWebAuthnCredential(t.Context(),
				credential(account, "a"))
		}), 1, mfa.ErrConflict)
	},
}}
