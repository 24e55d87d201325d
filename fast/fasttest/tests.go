package fasttest

import (
	"errors"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/fast"
)

// tests check the contract one rule at a time, without concurrency.
var tests = []test{{
	"Tokens of a client that was never issued a token is ErrNotFound",
	func(t *testing.T, s fast.Store) {
		wantNotFound(t, s, alice, phone)
		issue(t, s, token(alice, phone, "a"))
		wantNotFound(t, s, alice, web)
		wantNotFound(t, s, bob, phone)
	},
}, {
	"Issue puts the token in the New slot",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		issue(t, s, a)
		want(t, s, alice, phone, nil, a)
	},
}, {
	"Tokens returns both slots with every field as issued",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		a.Factors = []string{"password", "webauthn", "totp", "recovery"}
		current(t, s, a)
		b := token(alice, phone, "b")
		b.Mechanism = "HT-SHA-256-ENDP"
		b.Issued = issued.Add(36 * time.Hour)
		b.Expiry = b.Issued.Add(7 * 24 * time.Hour)
		b.Factors = []string{"password"}
		issue(t, s, b)
		want(t, s, alice, phone, a, b)
	},
}, {
	"Issue keeps the count of the issued token",
	func(t *testing.T, s fast.Store) {
		a := with(token(alice, phone, "a"), 41)
		issue(t, s, a)
		want(t, s, alice, phone, nil, a)
		conflict(t, s, alice, phone, fast.New, "a", 41)
		use(t, s, alice, phone, fast.New, "a", 42)
		want(t, s, alice, phone, with(a, 42), nil)
	},
}, {
	"Issue replaces a New token that was never used",
	func(t *testing.T, s fast.Store) {
		issue(t, s, token(alice, phone, "a"))
		b := token(alice, phone, "b")
		issue(t, s, b)
		want(t, s, alice, phone, nil, b)
		conflict(t, s, alice, phone, fast.New, "a", 0)
		want(t, s, alice, phone, nil, b)
	},
}, {
	"Issue keeps the Current token",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		current(t, s, a)
		issue(t, s, token(alice, phone, "b"))
		c := token(alice, phone, "c")
		issue(t, s, c)
		want(t, s, alice, phone, a, c)
	},
}, {
	"Use of New moves it to Current and drops the old Current",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		issue(t, s, a)
		use(t, s, alice, phone, fast.New, "a", 0)
		want(t, s, alice, phone, a, nil)

		b := token(alice, phone, "b")
		issue(t, s, b)
		use(t, s, alice, phone, fast.New, "b", 0)
		want(t, s, alice, phone, b, nil)
		conflict(t, s, alice, phone, fast.Current, "a", 0)
	},
}, {
	"Use of Current keeps New",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		current(t, s, a)
		b := token(alice, phone, "b")
		issue(t, s, b)
		use(t, s, alice, phone, fast.Current, "a", 0)
		want(t, s, alice, phone, a, b)
		use(t, s, alice, phone, fast.Current, "a", 1)
		want(t, s, alice, phone, with(a, 1), b)
	},
}, {
	"Use of an id the slot does not hold is ErrConflict",
	func(t *testing.T, s fast.Store) {
		conflict(t, s, alice, phone, fast.New, "a", 0)
		conflict(t, s, alice, phone, fast.Current, "a", 0)

		a := token(alice, phone, "a")
		issue(t, s, a)
		conflict(t, s, alice, phone, fast.Current, "a", 0)
		conflict(t, s, alice, phone, fast.New, "x", 0)
		use(t, s, alice, phone, fast.New, "a", 0)
		conflict(t, s, alice, phone, fast.New, "a", 0)
		conflict(t, s, alice, phone, fast.Current, "x", 0)
		conflict(t, s, alice, phone, fast.Current, "", 0)
		conflict(t, s, alice, phone, fast.New, "", 0)
		want(t, s, alice, phone, a, nil)
	},
}, {
	"Use with a count above the stored one stores it",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		issue(t, s, a)
		use(t, s, alice, phone, fast.New, "a", 3)
		want(t, s, alice, phone, with(a, 3), nil)
		use(t, s, alice, phone, fast.Current, "a", 4)
		want(t, s, alice, phone, with(a, 4), nil)
		use(t, s, alice, phone, fast.Current, "a", 1<<40)
		want(t, s, alice, phone, with(a, 1<<40), nil)
	},
}, {
	"Use with a count equal to or below the stored one is ErrConflict",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		issue(t, s, a)
		use(t, s, alice, phone, fast.New, "a", 5)
		conflict(t, s, alice, phone, fast.Current, "a", 5)
		conflict(t, s, alice, phone, fast.Current, "a", 4)
		conflict(t, s, alice, phone, fast.Current, "a", 1)
		want(t, s, alice, phone, with(a, 5), nil)

		b := with(token(alice, phone, "b"), 7)
		issue(t, s, b)
		conflict(t, s, alice, phone, fast.New, "b", 7)
		conflict(t, s, alice, phone, fast.New, "b", 6)
		want(t, s, alice, phone, with(a, 5), b)
	},
}, {
	"Use with count zero leaves the stored count alone",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		issue(t, s, a)
		use(t, s, alice, phone, fast.New, "a", 0)
		want(t, s, alice, phone, a, nil)
		use(t, s, alice, phone, fast.Current, "a", 9)
		use(t, s, alice, phone, fast.Current, "a", 0)
		use(t, s, alice, phone, fast.Current, "a", 0)
		want(t, s, alice, phone, with(a, 9), nil)

		b := with(token(alice, phone, "b"), 2)
		issue(t, s, b)
		use(t, s, alice, phone, fast.New, "b", 0)
		want(t, s, alice, phone, b, nil)
	},
}, {
	"Use of New checks the count against the New token's own",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		issue(t, s, a)
		use(t, s, alice, phone, fast.New, "a", 10)
		b := token(alice, phone, "b")
		issue(t, s, b)
		use(t, s, alice, phone, fast.New, "b", 1)
		want(t, s, alice, phone, with(b, 1), nil)
	},
}, {
	"A Use that fails changes nothing",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		issue(t, s, a)
		use(t, s, alice, phone, fast.New, "a", 3)
		b := token(alice, phone, "b")
		issue(t, s, b)
		conflict(t, s, alice, phone, fast.Current, "a", 2)
		conflict(t, s, alice, phone, fast.New, "a", 9)
		conflict(t, s, alice, phone, fast.Current, "b", 9)
		conflict(t, s, bob, phone, fast.New, "b", 9)
		want(t, s, alice, phone, with(a, 3), b)
	},
}, {
	"Invalidate empties the slot that holds the id and keeps the other",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		current(t, s, a)
		b := token(alice, phone, "b")
		issue(t, s, b)
		invalidate(t, s, alice, phone, "a")
		want(t, s, alice, phone, nil, b)
		conflict(t, s, alice, phone, fast.Current, "a", 0)

		c := token(alice, web, "c")
		current(t, s, c)
		d := token(alice, web, "d")
		issue(t, s, d)
		invalidate(t, s, alice, web, "d")
		want(t, s, alice, web, c, nil)
		conflict(t, s, alice, web, fast.New, "d", 0)
	},
}, {
	"Invalidate of every token keeps the record",
	func(t *testing.T, s fast.Store) {
		current(t, s, token(alice, phone, "a"))
		issue(t, s, token(alice, phone, "b"))
		invalidate(t, s, alice, phone, "b")
		invalidate(t, s, alice, phone, "a")
		want(t, s, alice, phone, nil, nil)

		issue(t, s, token(alice, web, "c"))
		invalidate(t, s, alice, web, "c")
		want(t, s, alice, web, nil, nil)
	},
}, {
	"Invalidate of an id no slot holds is ErrConflict",
	func(t *testing.T, s fast.Store) {
		wrong := func(user, clientID, id string) {
			t.Helper()
			err := s.Invalidate(t.Context(), user, clientID, id)
			if !errors.Is(err, fast.ErrConflict) {
				t.Errorf("Invalidate(%q, %q, %q) = %v, "+
					"want ErrConflict", user, clientID, id, err)
			}
		}
		wrong(alice, phone, "a")

		a := token(alice, phone, "a")
		current(t, s, a)
		b := token(alice, phone, "b")
		issue(t, s, b)
		wrong(alice, phone, "x")
		wrong(alice, phone, "")
		wrong(alice, web, "a")
		wrong(bob, phone, "b")
		want(t, s, alice, phone, a, b)

		invalidate(t, s, alice, phone, "b")
		wrong(alice, phone, "b")
		want(t, s, alice, phone, a, nil)
	},
}, {
	"Issue after Invalidate fills the New slot again",
	func(t *testing.T, s fast.Store) {
		current(t, s, token(alice, phone, "a"))
		invalidate(t, s, alice, phone, "a")
		b := token(alice, phone, "b")
		issue(t, s, b)
		want(t, s, alice, phone, nil, b)
		use(t, s, alice, phone, fast.New, "b", 1)
		want(t, s, alice, phone, with(b, 1), nil)
	},
}, {
	"Revoke empties every client of the user and keeps the records",
	func(t *testing.T, s fast.Store) {
		current(t, s, token(alice, phone, "a"))
		issue(t, s, token(alice, phone, "b"))
		issue(t, s, token(alice, web, "c"))
		revoke(t, s, alice)
		want(t, s, alice, phone, nil, nil)
		want(t, s, alice, web, nil, nil)
		conflict(t, s, alice, phone, fast.Current, "a", 0)
		conflict(t, s, alice, phone, fast.New, "b", 0)
		conflict(t, s, alice, web, fast.New, "c", 0)

		d := token(alice, web, "d")
		issue(t, s, d)
		want(t, s, alice, web, nil, d)
	},
}, {
	"Revoke leaves other users alone",
	func(t *testing.T, s fast.Store) {
		current(t, s, token(alice, phone, "a"))
		b := token(bob, phone, "b")
		current(t, s, b)
		c := token(bob, web, "c")
		issue(t, s, c)
		revoke(t, s, alice)
		want(t, s, bob, phone, b, nil)
		want(t, s, bob, web, nil, c)
	},
}, {
	"Revoke of a user without tokens succeeds and creates nothing",
	func(t *testing.T, s fast.Store) {
		revoke(t, s, alice)
		wantNotFound(t, s, alice, phone)
	},
}, {
	"Users that share a client id keep separate tokens",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		current(t, s, a)
		b := token(bob, phone, "b")
		issue(t, s, b)
		want(t, s, alice, phone, a, nil)
		want(t, s, bob, phone, nil, b)

		conflict(t, s, bob, phone, fast.Current, "a", 0)
		conflict(t, s, alice, phone, fast.New, "b", 0)
		use(t, s, alice, phone, fast.Current, "a", 8)
		use(t, s, bob, phone, fast.New, "b", 2)
		want(t, s, alice, phone, with(a, 8), nil)
		want(t, s, bob, phone, with(b, 2), nil)
	},
}, {
	"Clients of one user keep separate tokens",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		current(t, s, a)
		b := token(alice, web, "b")
		current(t, s, b)
		c := token(alice, web, "c")
		issue(t, s, c)
		want(t, s, alice, phone, a, nil)
		want(t, s, alice, web, b, c)

		conflict(t, s, alice, phone, fast.New, "c", 0)
		use(t, s, alice, web, fast.New, "c", 0)
		invalidate(t, s, alice, phone, "a")
		want(t, s, alice, phone, nil, nil)
		want(t, s, alice, web, c, nil)
	},
}, {
	"User names and client ids are compared exactly",
	func(t *testing.T, s fast.Store) {
		names := []string{
			"alice", "Alice", "alice ", "al%", "al_ce", "o'brien",
			`"; DROP TABLE x; --`, "ålïcé", "\u212bngström",
		}
		for i, name := range names {
			issue(t, s, token(name, name, string(rune('a'+i))))
		}
		for i, name := range names {
			id := string(rune('a' + i))
			want(t, s, name, name, nil, token(name, name, id))
		}
		revoke(t, s, "al%")
		want(t, s, "alice", "alice", nil, token("alice", "alice", "a"))
		want(t, s, "al%", "al%", nil, nil)
	},
}, {
	"The store keeps its own copy of a token",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		issue(t, s, a)
		a.Sealed[0] ^= 0xff
		a.Factors[0] = "changed"
		a.ID = "changed"
		a = token(alice, phone, "a")
		want(t, s, alice, phone, nil, a)

		_, got, err := s.Tokens(t.Context(), alice, phone)
		if err != nil {
			t.Fatalf("Tokens = %v", err)
		}
		got.Sealed[0] ^= 0xff
		got.Factors[0] = "changed"
		got.Count = 99
		want(t, s, alice, phone, nil, a)
	},
}}
