package mfa_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// TestFASTRemembersTheFactors runs the story of DESIGN.md: a device
// passes TOTP and receives a FAST token that records it; its token
// logins run no task; once policy wants more, the token gets
// credentials-expired and the device logs in with its password and a
// factor again.
func TestFASTRemembersTheFactors(t *testing.T) {
	r := newRig(t, "")
	secret := r.enrolTOTP("juliet")
	r.clock.Add(time.Minute)

	tokens := fast.NewMemoryStore()
	sealer, err := fast.NewAESGCM(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fast.NewServer(fast.Config{Store: tokens, Sealer: sealer,
		Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	const id = "0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60"
	client := fast.NewClient(fast.ClientConfig{
		Keeper: fast.NewMemoryKeeper(), Account: "juliet@example.org",
		ClientID: id, Now: r.clock.Now,
	})
	r.serverExt = []sasl2.Extension{srv}
	r.clientExt = []sasl2.ClientExtension{client}
	r.agent = &sasl2.UserAgent{ID: id}

	prompted := 0
	prompt := func(context.Context) (string, error) {
		prompted++
		return r.code(secret, 0), nil
	}

	// Password and TOTP: the token comes only in the final <success>.
	out := r.login("juliet", nil, mfa.TOTPClient(prompt))
	if out.success == nil || len(out.continued) != 1 || prompted != 1 {
		t.Fatalf("first login: %+v", out)
	}
	cur, next, err := tokens.Tokens(t.Context(), "juliet", id)
	if err != nil || cur != nil || next == nil {
		t.Fatalf("stored tokens %v %v, %v", cur, next, err)
	}
	if want := []string{"TEST-PASSWORD", mfa.TaskTOTP}; !slices.Equal(next.Factors, want) {
		t.Errorf("token records %q, want %q", next.Factors, want)
	}

	// The token logins ask for nothing.
	for range 3 {
		r.clock.Add(time.Hour)
		out = r.login("juliet", nil, mfa.TOTPClient(prompt))
		if out.success == nil || len(out.continued) > 0 {
			t.Fatalf("token login: %+v", out)
		}
		if !isFAST(out.result) {
			t.Fatal("the token login used the password")
		}
	}
	if prompted != 1 {
		t.Errorf("prompted %d times, want once", prompted)
	}

	// Policy now wants a factor the token did not record.
	k := r.withKey()
	k.enrolled["juliet"] = true
	r.cfg.Require = func(context.Context, *sasl2.Result) (*mfa.Requirement, error) {
		return &mfa.Requirement{Factors: []string{mfa.TaskWebAuthn}}, nil
	}
	out = r.login("juliet", nil, &keyClient{"signed"})
	if out.failure == nil || out.failure.Condition != sasl2.CredentialsExpired {
		t.Fatalf("token below policy: %+v", out)
	}
	if err := client.Failed(out.failure); !errors.Is(err, fast.ErrRejected) {
		t.Fatalf("Failed: %v", err)
	}
	for client.HasToken() {
		out = r.login("juliet", nil, &keyClient{"signed"})
		client.Failed(out.failure)
	}
	out = r.login("juliet", nil, &keyClient{"signed"})
	if out.success == nil || len(out.continued) != 1 || isFAST(out.result) {
		t.Fatalf("password login after the token: %+v", out)
	}
}

func isFAST(r *sasl2.Result) bool {
	_, ok := fast.Used(r)
	return ok
}
