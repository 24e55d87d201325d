package webauthn_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/webauthn"
	"github.com/xmppauth/xmppauth/sasl2"
)

// racers is how many goroutines race for one proof.
const racers = 64

// TestOneChallengeHasOneWinner races a valid assertion for one challenge
// through 64 tasks that all await it: the store's take lets exactly one
// verify it (docs/mfa.md §2, requirement 4).
func TestOneChallengeHasOneWinner(t *testing.T) {
	r := newRig(t)
	k := r.enrolled(uvKey, 0)
	k.cred.Counter = 1
	ctx := t.Context()

	first := r.f.Task()
	st, err := first.Start(ctx, &sasl2.Result{User: "juliet"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := k.sign(st.Data[0].Text)
	if err != nil {
		t.Fatal(err)
	}
	payload := []sasl2.Element{mfa.Text(mfa.ElemWebAuthnAssertion, a)}
	tasks := []sasl2.Task{first}
	for range racers - 1 {
		t := r.f.Task()
		webauthn.Share(t, first)
		tasks = append(tasks, t)
	}

	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, task := range tasks {
		wg.Go(func() {
			<-start
			_, errs[i] = task.Next(ctx, payload)
		})
	}
	close(start)
	wg.Wait()

	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, notAuthorized) ||
			!errors.Is(err, mfa.ErrReplayed):
			t.Errorf("a loser failed with %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d answers to one challenge passed, want 1",
			wins, racers)
	}
	if c := r.credential(); c.SignCount != 1 {
		t.Errorf("counter %d, want 1", c.SignCount)
	}
}

// TestOneCounterValueHasOneWinner runs 64 logins at once, each with its
// own challenge, whose assertions all carry counter 1, as clones of one
// authenticator would: the compare-and-set on the counter lets one pass.
func TestOneCounterValueHasOneWinner(t *testing.T) {
	r := newRig(t)
	k := r.enrolled(uvKey, 0)
	k.cred.Counter = 1

	// virtualwebauthn keys are not safe for concurrent signing.
	var mu sync.Mutex
	sign := func(_ context.Context, req string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		return k.sign(req)
	}
	var wg sync.WaitGroup
	var wins sync.Map
	for i := range racers {
		wg.Go(func() {
			if out := r.login(webauthn.Client(sign)); out.success != nil {
				wins.Store(i, true)
			}
		})
	}
	wg.Wait()
	n := 0
	wins.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("%d of %d logins with one counter value passed, want 1",
			n, racers)
	}
	if c := r.credential(); c.SignCount != 1 {
		t.Errorf("counter %d, want 1", c.SignCount)
	}
}
