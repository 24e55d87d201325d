package mfa_test

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

var codeFormat = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

func TestRecoveryCodesAreGeneratedOnceInASet(t *testing.T) {
	r := newRig(t, "")
	ctx := t.Context()
	codes, err := r.rec.Generate(ctx, "juliet")
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) < mfa.MinRecoveryCodes || mfa.RecoveryBits < 50 {
		t.Fatalf("%d codes of %d bits", len(codes), mfa.RecoveryBits)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !codeFormat.MatchString(c) || seen[c] {
			t.Errorf("code %q: bad format or repeated", c)
		}
		seen[c] = true
	}

	// Only hashes are stored.
	set, err := r.store.RecoveryCodes(ctx, "juliet")
	if err != nil || len(set.Hashes) != len(codes) {
		t.Fatalf("stored %+v, %v", set, err)
	}
	for _, h := range set.Hashes {
		for _, c := range codes {
			if bytes.Contains(h, []byte(c)) ||
				bytes.Contains(h, []byte(strings.ReplaceAll(c, "-", ""))) {
				t.Fatal("a code is stored in the clear")
			}
		}
	}

	info, err := r.rec.List(ctx, "juliet")
	if err != nil || len(info) != 1 || info[0].Remaining != len(codes) {
		t.Errorf("List: %+v, %v", info, err)
	}

	// A new set replaces the old one at once.
	again, err := r.rec.Generate(ctx, "juliet")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.rec.Consume(ctx, "juliet", codes[0]); !errors.Is(err, mfa.ErrRejected) {
		t.Errorf("a replaced code: %v", err)
	}
	if n, err := r.rec.Consume(ctx, "juliet", again[0]); err != nil || n != len(again)-1 {
		t.Errorf("a new code: %d, %v", n, err)
	}
}

func TestRecoveryCodeLoginWorksOnce(t *testing.T) {
	r := newRig(t, "")
	codes, err := r.rec.Generate(t.Context(), "juliet")
	if err != nil {
		t.Fatal(err)
	}
	out := r.login("juliet", nil, mfa.RecoveryClient(fixed(codes[3])))
	if out.success == nil {
		t.Fatalf("failure %+v", out.failure)
	}
	p := mfa.ParsePassed(out.success.Extensions)
	if len(p) != 1 || p[0].Task != mfa.TaskRecovery || p[0].Remaining != 9 {
		t.Errorf("passed %+v, want MFA-RECOVERY with 9 remaining", p)
	}
	out = r.login("juliet", nil, mfa.RecoveryClient(fixed(codes[3])))
	if out.success != nil || out.failure.Condition != sasl2.NotAuthorized ||
		out.failure.Text != mfa.FailureText {
		t.Fatalf("second use: %+v", out)
	}
}

func TestRecoveryCodesAreReadForgivingly(t *testing.T) {
	r := newRig(t, "")
	ctx := t.Context()
	codes, err := r.rec.Generate(ctx, "juliet")
	if err != nil {
		t.Fatal(err)
	}
	confusable := strings.NewReplacer("0", "O", "1", "l")
	for i, typed := range []string{
		strings.ToLower(codes[0]),
		strings.ReplaceAll(codes[1], "-", ""),
		strings.ReplaceAll(codes[2], "-", " "),
		confusable.Replace(codes[3]),
	} {
		if _, err := r.rec.Consume(ctx, "juliet", typed); err != nil {
			t.Errorf("%q for %q: %v", typed, codes[i], err)
		}
	}
	for _, bad := range []string{"", "-", codes[4][:18], codes[4] + "X",
		strings.Replace(codes[4], codes[4][:1], "U", 1), "ÄÄÄÄ-" + codes[4][5:]} {
		if _, err := r.rec.Consume(ctx, "juliet", bad); !errors.Is(err, mfa.ErrRejected) {
			t.Errorf("%q: %v, want ErrRejected", bad, err)
		}
	}
	// The code of one account is nothing for another.
	if _, err := r.rec.Generate(ctx, "romeo"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.rec.Consume(ctx, "romeo", codes[5]); !errors.Is(err, mfa.ErrRejected) {
		t.Errorf("juliet's code for romeo: %v", err)
	}
}

func TestConcurrentUsesOfOneRecoveryCode(t *testing.T) {
	r := newRig(t, "")
	codes, err := r.rec.Generate(t.Context(), "juliet")
	if err != nil {
		t.Fatal(err)
	}
	wins := r.race(64, "juliet", func() sasl2.ClientTask {
		return mfa.RecoveryClient(fixed(codes[0]))
	})
	if wins != 1 || r.bound.get() != 1 {
		t.Errorf("%d logins succeeded and %d bound, want 1 and 1",
			wins, r.bound.get())
	}
}
