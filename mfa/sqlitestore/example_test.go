package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/sqlitestore"
)

// One store keeps all three factors. Each proof works once: a TOTP time
// step, a recovery code, a WebAuthn challenge.
func Example() {
	dir, err := os.MkdirTemp("", "sqlitestore")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	s, err := sqlitestore.Open(filepath.Join(dir, "mfa.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	step := now.Unix() / 30

	// A TOTP enrolment, confirmed by the code of one step, then a login
	// with the next step's code, and that code again.
	err = s.PutTOTP(ctx, &mfa.TOTPRecord{Account: "juliet", ID: "e1",
		Sealed: []byte("sealed elsewhere"), Digits: 6, Created: now})
	fmt.Println("enrol:", err)
	fmt.Println("confirm:", s.ActivateTOTP(ctx, "juliet", "e1", step, now))
	err = s.ConsumeTOTPStep(ctx, "juliet", step+1, now.Add(30*time.Second))
	fmt.Println("login:", err)
	err = s.ConsumeTOTPStep(ctx, "juliet", step+1, now.Add(40*time.Second))
	fmt.Println("replay:", errors.Is(err, mfa.ErrConflict))

	// Recovery codes, kept only as hashes.
	err = s.ReplaceRecoveryCodes(ctx, &mfa.RecoveryCodes{Account: "juliet",
		Hashes: [][]byte{[]byte("hash 1"), []byte("hash 2")}, Created: now})
	fmt.Println("codes:", err)
	n, err := s.ConsumeRecoveryCode(ctx, "juliet", []byte("hash 2"), now)
	fmt.Println("use a code:", n, "left,", err)
	_, err = s.ConsumeRecoveryCode(ctx, "juliet", []byte("hash 2"), now)
	fmt.Println("use it again:", errors.Is(err, mfa.ErrConflict))

	// A WebAuthn ceremony, taken once.
	err = s.PutWebAuthnChallenge(ctx, &mfa.WebAuthnChallenge{ID: "c1",
		Account: "juliet", Kind: "login", Data: []byte("{}"),
		Expiry: now.Add(5 * time.Minute)})
	fmt.Println("challenge:", err)
	c, err := s.TakeWebAuthnChallenge(ctx, "juliet", "c1")
	fmt.Println("take:", c.Kind, c.Expiry, err)
	_, err = s.TakeWebAuthnChallenge(ctx, "juliet", "c1")
	fmt.Println("take again:", errors.Is(err, mfa.ErrNotFound))

	// Output:
	// enrol: <nil>
	// confirm: <nil>
	// login: <nil>
	// replay: true
	// codes: <nil>
	// use a code: 1 left, <nil>
	// use it again: true
	// challenge: <nil>
	// take: login 2026-03-14 15:14:26 +0000 UTC <nil>
	// take again: true
}
