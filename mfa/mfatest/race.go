package mfatest

import (
	"errors"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/internal/racetest"
)

// racers is how many goroutines race for one proof.
const racers = racetest.Racers

// The accounts the suites use.
const (
	alice = "alice"
	bob   = "bob"
)

// at is when things happen in the suites: not on a whole second, and not
// in UTC, so that stores show how they keep time.
var at = time.Date(2026, 3, 14, 15, 9, 26, 535897932,
	time.FixedZone("UTC+2", 2*60*60))

// race runs f(0) to f(n-1) in goroutines released at the same moment.
var race = racetest.Run

// wins checks that exactly want of errs are nil and that all the others
// are lost.
func wins(t *testing.T, errs []error, want int, lost error) {
	t.Helper()
	racetest.Wins(t, errs, want, lost)
}

// is fails t unless err is target (nil for none).
func is(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: %v, want %v", what, err, target)
	}
}

// same reports whether two times are one instant to within a second.
func same(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Second && d < time.Second
}

// test is one check of a suite, run on a fresh, empty store.
type test[S any] struct {
	name string
	run  func(t *testing.T, s S)
}

// run runs each test on a store of its own.
func run[S any](t *testing.T, tests []test[S], newStore func(t *testing.T) S) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}
