package fasttest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/internal/racetest"
)

// racers is how many goroutines race for one token.
const racers = racetest.Racers

// race runs f(0) to f(n-1) in goroutines released at the same moment.
var race = racetest.Run

// oneWins checks that exactly one of errs is nil and that all the others
// are ErrConflict.
func oneWins(t *testing.T, errs []error) {
	t.Helper()
	racetest.Wins(t, errs, 1, fast.ErrConflict)
}

// whole returns "" when tok is nil or is the token that token would make
// for its id, and otherwise what is wrong: a slot holding fields of two
// tokens, for example.
func whole(tok *fast.Token, count int64) string {
	if tok == nil {
		return ""
	}
	return diff(tok, with(token(tok.User, tok.ClientID, tok.ID), count))
}

// races check the contract's promise that of two changes that race for
// the same token exactly one succeeds, and that readers see no half of a
// change.
var races = []test{{
	"Concurrent uses with one count let exactly one win",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		current(t, s, a)
		oneWins(t, race(racers, func(int) error {
			return s.Use(t.Context(), alice, phone, fast.Current, "a", 5)
		}))
		want(t, s, alice, phone, with(a, 5), nil)
	},
}, {
	"Concurrent promotions of New let exactly one win",
	func(t *testing.T, s fast.Store) {
		current(t, s, token(alice, phone, "a"))
		b := token(alice, phone, "b")
		issue(t, s, b)
		oneWins(t, race(racers, func(int) error {
			return s.Use(t.Context(), alice, phone, fast.New, "b", 0)
		}))
		want(t, s, alice, phone, b, nil)
	},
}, {
	"Concurrent uses with rising counts store the highest",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		current(t, s, a)
		errs := race(racers, func(i int) error {
			return s.Use(t.Context(), alice, phone, fast.Current, "a",
				int64(i+1))
		})
		for i, err := range errs {
			if err != nil && !errors.Is(err, fast.ErrConflict) {
				t.Errorf("count %d: %v", i+1, err)
			}
		}
		if err := errs[racers-1]; err != nil {
			t.Errorf("count %d, the highest: %v, want nil", racers, err)
		}
		want(t, s, alice, phone, with(a, racers), nil)
	},
}, {
	"Concurrent invalidations of one token let exactly one win",
	func(t *testing.T, s fast.Store) {
		a := token(alice, phone, "a")
		current(t, s, a)
		issue(t, s, token(alice, phone, "b"))
		oneWins(t, race(racers, func(int) error {
			return s.Invalidate(t.Context(), alice, phone, "b")
		}))
		want(t, s, alice, phone, a, nil)
	},
}, {
	"Concurrent issues and uses leave whole, consistent slots",
	func(t *testing.T, s fast.Store) {
		current(t, s, token(alice, phone, "t0"))

		// Half the racers issue a token and promote it; the other
		// half read the slots and use whatever is current. The
		// last token issued is always promoted by its own racer,
		// since no racer issues after it.
		var mu sync.Mutex
		var promoted []string
		var torn []string
		errs := race(racers, func(i int) error {
			ctx := t.Context()
			if i%2 == 0 {
				id := fmt.Sprintf("t%d", i+1)
				err := s.Issue(ctx, token(alice, phone, id))
				if err != nil {
					return err
				}
				err = s.Use(ctx, alice, phone, fast.New, id, 0)
				if err == nil {
					mu.Lock()
					promoted = append(promoted, id)
					mu.Unlock()
				}
				return err
			}
			cur, next, err := s.Tokens(ctx, alice, phone)
			if err != nil {
				return err
			}
			for _, tok := range []*fast.Token{cur, next} {
				if d := whole(tok, 0); d != "" {
					mu.Lock()
					torn = append(torn, d)
					mu.Unlock()
				}
			}
			if cur == nil {
				return fmt.Errorf("no current token")
			}
			return s.Use(ctx, alice, phone, fast.Current, cur.ID, 0)
		})
		for i, err := range errs {
			if err != nil && !errors.Is(err, fast.ErrConflict) {
				t.Errorf("racer %d: %v", i, err)
			}
		}
		for _, d := range torn {
			t.Errorf("a reader saw a torn slot: %s", d)
		}

		cur, next, err := s.Tokens(t.Context(), alice, phone)
		if err != nil {
			t.Fatalf("Tokens = %v", err)
		}
		if d := whole(cur, 0); d != "" {
			t.Errorf("current: %s", d)
		}
		if next != nil {
			t.Errorf("new slot holds %q, want it empty: the last "+
				"token issued was promoted", next.ID)
		}
		if len(promoted) == 0 {
			t.Fatalf("no promotion won, want at least one")
		}
		if cur == nil || !slices.Contains(promoted, cur.ID) {
			t.Errorf("current is %v, want one of the promoted %q",
				cur, promoted)
		}
	},
}, {
	"Concurrent changes to different clients all succeed",
	func(t *testing.T, s fast.Store) {
		client := func(i int) string { return fmt.Sprintf("client-%d", i) }
		errs := race(racers/4, func(i int) error {
			ctx := t.Context()
			c := client(i)
			steps := []func() error{
				func() error { return s.Issue(ctx, token(alice, c, "a")) },
				func() error { return s.Use(ctx, alice, c, fast.New, "a", 1) },
				func() error { return s.Issue(ctx, token(alice, c, "b")) },
				func() error {
					return s.Use(ctx, alice, c, fast.Current, "a", 2)
				},
				func() error { return s.Use(ctx, alice, c, fast.New, "b", 1) },
				func() error { return s.Issue(ctx, token(alice, c, "c")) },
				func() error { return s.Invalidate(ctx, alice, c, "c") },
			}
			for n, step := range steps {
				if err := step(); err != nil {
					return fmt.Errorf("step %d: %w", n+1, err)
				}
			}
			return nil
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("client %d: %v", i, err)
			}
		}
		for i := range racers / 4 {
			c := client(i)
			want(t, s, alice, c, with(token(alice, c, "b"), 1), nil)
		}
	},
}}
