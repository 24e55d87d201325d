package webauthn_test

import (
	"context"
	"errors"
	"testing"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/webauthn"
	"github.com/xmppauth/xmppauth/sasl2"
)

func TestClientHandsTheRequestToTheAuthenticator(t *testing.T) {
	ctx := t.Context()
	var got string
	c := webauthn.Client(func(_ context.Context, req string) (string, error) {
		got = req
		return `{"id":"AbCd"}`, nil
	})
	next, err := c.Start(ctx)
	if err != nil || len(next) != 0 {
		t.Fatalf("Start: %+v, %v; want an empty <next>", next, err)
	}
	out, err := c.Next(ctx, []sasl2.Element{
		mfa.Text(mfa.ElemWebAuthnRequest, `{"challenge":"qNqr"}`)})
	if err != nil || got != `{"challenge":"qNqr"}` {
		t.Fatalf("Next: %v; authenticator got %q", err, got)
	}
	a, err := mfa.One(out, mfa.ElemWebAuthnAssertion)
	if err != nil || a.Text != `{"id":"AbCd"}` {
		t.Errorf("sent %+v", out)
	}
}

func TestClientRefusals(t *testing.T) {
	asked := false
	c := webauthn.Client(func(context.Context, string) (string, error) {
		asked = true
		return "", nil
	})
	for _, tc := range []struct {
		name    string
		payload []sasl2.Element
	}{
		{"nothing", nil},
		{"an empty request", []sasl2.Element{
			mfa.Text(mfa.ElemWebAuthnRequest, "")}},
		{"a TOTP prompt", []sasl2.Element{mfa.TOTPPrompt(6)}},
	} {
		t.Run("task data holding "+tc.name+" is refused", func(t *testing.T) {
			asked = false
			if _, err := c.Next(t.Context(), tc.payload); err == nil || asked {
				t.Errorf("Next: %v, authenticator asked %v", err, asked)
			}
		})
	}

	t.Run("an empty assertion is refused", func(t *testing.T) {
		_, err := c.Next(t.Context(), []sasl2.Element{
			mfa.Text(mfa.ElemWebAuthnRequest, "{}")})
		if err == nil || !asked {
			t.Errorf("Next: %v, authenticator asked %v", err, asked)
		}
	})
	t.Run("the authenticator's error aborts", func(t *testing.T) {
		cancelled := errors.New("user cancelled")
		c := webauthn.Client(func(context.Context, string) (string, error) {
			return "", cancelled
		})
		_, err := c.Next(t.Context(), []sasl2.Element{
			mfa.Text(mfa.ElemWebAuthnRequest, "{}")})
		if !errors.Is(err, cancelled) {
			t.Errorf("Next: %v", err)
		}
	})
}
