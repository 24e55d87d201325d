package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
)

// racers is how many goroutines race in each round, half on each handle.
const racers = 32

// at is when the races happen.
var at = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// Races runs rounds of races between two handles, a and b, on one empty
// database, as two processes or nodes would race: for a TOTP step, a
// recovery code, a WebAuthn challenge and a sign counter, each round
// exactly one goroutine wins, and a replay of the first round's proof
// after the last round loses.
func Races(t *testing.T, a, b Store, rounds int) {
	ctx := t.Context()
	pick := func(i int) Store { return []Store{a, b}[i%2] }

	t.Run("TOTP step", func(t *testing.T) {
		const base = 37037035
		ok(t, a.PutTOTP(ctx, &mfa.TOTPRecord{Account: "alice", ID: "t",
			Digits: 6, Created: at}))
		ok(t, b.ActivateTOTP(ctx, "alice", "t", base, at))
		for r := range rounds {
			race(t, r, mfa.ErrConflict, func(i int) error {
				return pick(i).ConsumeTOTPStep(ctx, "alice",
					base+1+int64(r), at)
			})
		}
		lost(t, b.ConsumeTOTPStep(ctx, "alice", base+1, at), mfa.ErrConflict)
	})

	t.Run("Recovery code", func(t *testing.T) {
		set := &mfa.RecoveryCodes{Account: "alice", Created: at}
		for r := range rounds {
			set.Hashes = append(set.Hashes, fmt.Appendf(nil, "code %d", r))
		}
		ok(t, a.ReplaceRecoveryCodes(ctx, set))
		for r, h := range set.Hashes {
			race(t, r, mfa.ErrConflict, func(i int) error {
				n, err := pick(i).ConsumeRecoveryCode(ctx, "alice", h, at)
				if err == nil && n != rounds-r-1 {
					return fmt.Errorf("%d remain, want %d", n, rounds-r-1)
				}
				return err
			})
		}
		_, err := b.ConsumeRecoveryCode(ctx, "alice", set.Hashes[0], at)
		lost(t, err, mfa.ErrConflict)
	})

	t.Run("WebAuthn challenge", func(t *testing.T) {
		for r := range rounds {
			id := fmt.Sprint("ceremony ", r)
			ok(t, pick(r).PutWebAuthnChallenge(ctx, &mfa.WebAuthnChallenge{
				ID: id, Account: "alice", Kind: "login",
				Data: []byte(id), Expiry: at.Add(time.Minute),
			}))
			race(t, r, mfa.ErrNotFound, func(i int) error {
				_, err := pick(i).TakeWebAuthnChallenge(ctx, "alice", id)
				return err
			})
		}
		_, err := b.TakeWebAuthnChallenge(ctx, "alice", "ceremony 0")
		lost(t, err, mfa.ErrNotFound)
	})

	t.Run("Sign counter", func(t *testing.T) {
		id := []byte("credential")
		ok(t, a.AddWebAuthnCredential(ctx, &mfa.WebAuthnCredential{
			Account: "alice", ID: id, Created: at,
		}))
		for r := range rounds {
			race(t, r, mfa.ErrConflict, func(i int) error {
				return pick(i).UseWebAuthnCredential(ctx, "alice", id,
					uint32(r), uint32(r+1), false, at)
			})
		}
		lost(t, b.UseWebAuthnCredential(ctx, "alice", id, 0, 1, false, at),
			mfa.ErrConflict)
	})
}

// race runs f(0) to f(racers-1) at once and fails t unless exactly one
// returns nil and all the others lost.
func race(t *testing.T, round int, lost error, f func(i int) error) {
	t.Helper()
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()

	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, lost):
			t.Errorf("round %d, racer %d: %v, want nil or %v",
				round, i, err, lost)
		}
	}
	if won != 1 {
		t.Fatalf("round %d: %d racers won, want exactly one", round, won)
	}
}

// ok fails t on err.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// lost fails t unless a replay's err is want.
func lost(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("replay: %v, want %v", err, want)
	}
}
