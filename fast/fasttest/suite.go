package fasttest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/fast"
)

// TestStore runs the conformance suite for fast.Store. Each subtest calls
// newStore once and expects an empty store back; newStore should register
// its clean-up with t.Cleanup and fail t if it cannot make a store.
// Subtests run one after another, never in parallel with each other.
func TestStore(t *testing.T, newStore func(t *testing.T) fast.Store) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
	for _, tc := range races {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

type test struct {
	name string
	run  func(t *testing.T, s fast.Store)
}

// The user, clients and mechanism most tests use.
const (
	alice = "alice"
	bob   = "bob"
	phone = "0b4b3c2e-6a42-4d3c-9a40-7d1f0e0f4c11"
	web   = "3f0d2b1a-9c8e-4f7a-8b6d-5e4c3b2a1f00"
	mech  = "HT-SHA-256-EXPR"
)

// issued is when every test token was issued: not on a whole second, and
// not in UTC, so that stores show how they keep time.
var issued = time.Date(2026, 3, 14, 15, 9, 26, 535897932,
	time.FixedZone("UTC+2", 2*60*60))

// token returns a token for user and client whose fields all derive from
// id, so that a slot holding fields of two different tokens shows.
func token(user, clientID, id string) *fast.Token {
	return &fast.Token{
		ID:        id,
		User:      user,
		ClientID:  clientID,
		Sealed:    []byte("sealed\x00" + user + "\x00" + clientID + "\xff" + id),
		Mechanism: mech,
		Issued:    issued,
		Expiry:    issued.Add(21 * 24 * time.Hour),
		Factors:   []string{"password", "totp", "factor-" + id},
	}
}

// diff describes how got differs from want, or returns "" when it does
// not. Times must agree to within a second; nil and empty slices are
// equal.
func diff(got, want *fast.Token) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil:
		return fmt.Sprintf("got no token, want %s", want.ID)
	case want == nil:
		return fmt.Sprintf("got token %q, want none", got.ID)
	}

	var d []string
	check := func(field string, ok bool, g, w any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s = %q, want %q", field, g, w))
		}
	}
	check("ID", got.ID == want.ID, got.ID, want.ID)
	check("User", got.User == want.User, got.User, want.User)
	check("ClientID", got.ClientID == want.ClientID,
		got.ClientID, want.ClientID)
	check("Sealed", bytes.Equal(got.Sealed, want.Sealed),
		got.Sealed, want.Sealed)
	check("Mechanism", got.Mechanism == want.Mechanism,
		got.Mechanism, want.Mechanism)
	check("Issued", sameSecond(got.Issued, want.Issued),
		got.Issued, want.Issued)
	check("Expiry", sameSecond(got.Expiry, want.Expiry),
		got.Expiry, want.Expiry)
	check("Count", got.Count == want.Count, got.Count, want.Count)
	check("Factors", slices.Equal(got.Factors, want.Factors),
		got.Factors, want.Factors)
	if d == nil {
		return ""
	}
	return fmt.Sprintf("token %q: %v", want.ID, d)
}

// sameSecond reports whether a and b are less than a second apart.
func sameSecond(a, b time.Time) bool {
	d := a.Sub(b)
	return -time.Second < d && d < time.Second
}

// with returns a copy of t with Count set to count.
func with(t *fast.Token, count int64) *fast.Token {
	c := *t
	c.Count = count
	return &c
}

// want checks that the client's slots hold current and next.
func want(t *testing.T, s fast.Store, user, clientID string,
	current, next *fast.Token) {
	t.Helper()
	cur, nxt, err := s.Tokens(t.Context(), user, clientID)
	if err != nil {
		t.Fatalf("Tokens(%q, %q) = %v", user, clientID, err)
	}
	if d := diff(cur, current); d != "" {
		t.Errorf("Tokens(%q, %q): current: %s", user, clientID, d)
	}
	if d := diff(nxt, next); d != "" {
		t.Errorf("Tokens(%q, %q): new: %s", user, clientID, d)
	}
}

// wantNotFound checks that the store holds no record for the client.
func wantNotFound(t *testing.T, s fast.Store, user, clientID string) {
	t.Helper()
	cur, nxt, err := s.Tokens(t.Context(), user, clientID)
	if !errors.Is(err, fast.ErrNotFound) {
		t.Errorf("Tokens(%q, %q) = %v, want ErrNotFound",
			user, clientID, err)
	}
	if cur != nil || nxt != nil {
		t.Errorf("Tokens(%q, %q) returned tokens with ErrNotFound",
			user, clientID)
	}
}

func issue(t *testing.T, s fast.Store, tok *fast.Token) {
	t.Helper()
	if err := s.Issue(t.Context(), tok); err != nil {
		t.Fatalf("Issue(%q) = %v", tok.ID, err)
	}
}

func use(t *testing.T, s fast.Store, user, clientID string, slot fast.Slot,
	id string, count int64) {
	t.Helper()
	err := s.Use(t.Context(), user, clientID, slot, id, count)
	if err != nil {
		t.Fatalf("Use(%q, %q, %s, %q, %d) = %v",
			user, clientID, slotName(slot), id, count, err)
	}
}

func conflict(t *testing.T, s fast.Store, user, clientID string,
	slot fast.Slot, id string, count int64) {
	t.Helper()
	err := s.Use(t.Context(), user, clientID, slot, id, count)
	if !errors.Is(err, fast.ErrConflict) {
		t.Errorf("Use(%q, %q, %s, %q, %d) = %v, want ErrConflict",
			user, clientID, slotName(slot), id, count, err)
	}
}

func invalidate(t *testing.T, s fast.Store, user, clientID, id string) {
	t.Helper()
	if err := s.Invalidate(t.Context(), user, clientID, id); err != nil {
		t.Fatalf("Invalidate(%q, %q, %q) = %v", user, clientID, id, err)
	}
}

func revoke(t *testing.T, s fast.Store, user string) {
	t.Helper()
	if err := s.Revoke(t.Context(), user); err != nil {
		t.Fatalf("Revoke(%q) = %v", user, err)
	}
}

func slotName(s fast.Slot) string {
	switch s {
	case fast.Current:
		return "Current"
	case fast.New:
		return "New"
	}
	return fmt.Sprintf("Slot(%d)", int(s))
}

// current issues tok and uses it once, so that it is the client's
// Current token and the New slot is empty.
func current(t *testing.T, s fast.Store, tok *fast.Token) {
	t.Helper()
	issue(t, s, tok)
	use(t, s, tok.User, tok.ClientID, fast.New, tok.ID, 0)
}
