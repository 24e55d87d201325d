// Package racetest runs the races of the store conformance suites: many
// goroutines released at one moment for one proof, of which a given number
// must win.
package racetest

import (
	"errors"
	"sync"
	"testing"
)

// Racers is how many goroutines the suites race for one proof.
const Racers = 64

// Run runs f(0) to f(n-1) in n goroutines released at the same moment and
// returns their errors, indexed like the goroutines.
func Run(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// Wins fails t unless exactly want of errs are nil and all the others
// are lost.
func Wins(t testing.TB, errs []error, want int, lost error) {
	t.Helper()
	n := 0
	for i, err := range errs {
		switch {
		case err == nil:
			n++
		case !errors.Is(err, lost):
			t.Errorf("racer %d: %v, want nil or %v", i, err, lost)
		}
	}
	if n != want {
		t.Errorf("%d of %d racers won, want exactly %d", n, len(errs), want)
	}
}
