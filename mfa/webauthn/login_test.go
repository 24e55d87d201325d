package webauthn_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/webauthn"
	"github.com/xmppauth/xmppauth/sasl2"
)

// uvKey is an authenticator that sets UP and UV and is not backed up:
// a security key with a PIN.
var uvKey = virtualwebauthn.AuthenticatorOptions{}

// notAuthorized matches the failure of every refused proof.
var notAuthorized = sasl2.Fail(sasl2.NotAuthorized, "")

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64dec(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(s)
}

func TestRegistrationThenLogin(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	k := newKey(uvKey, 0)
	fi := r.register("juliet", k)
	if fi.Type != mfa.TypeWebAuthn || fi.Name != "Blue key" ||
		fi.ID != b64(k.cred.ID) || !fi.Created.Equal(r.clock.Now()) {
		t.Errorf("Finish returned %+v", fi)
	}
	if ok, err := r.f.Enrolled(ctx, "juliet"); !ok || err != nil {
		t.Fatalf("Enrolled: %v, %v", ok, err)
	}

	r.clock.Add(time.Hour)
	var request string
	out := r.login(webauthn.Client(func(_ context.Context, req string) (string, error) {
		request = req
		return k.sign(req)
	}))
	passed(t, out)
	if out.success.AuthorizationIdentifier != "juliet@example.org" {
		t.Errorf("authorised as %q", out.success.AuthorizationIdentifier)
	}

	// The request names the RP and allows exactly the credential.
	var opts struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		Timeout   int    `json:"timeout"`
		UV        string `json:"userVerification"`
		Allow     []struct {
			Type, ID string
		} `json:"allowCredentials"`
	}
	if err := json.Unmarshal([]byte(request), &opts); err != nil {
		t.Fatal(err)
	}
	if opts.RPID != rpID || opts.UV != "preferred" ||
		opts.Timeout != 300000 || len(opts.Allow) != 1 ||
		opts.Allow[0].ID != fi.ID || opts.Allow[0].Type != "public-key" {
		t.Errorf("request options %s", request)
	}
	if c, err := b64dec(opts.Challenge); err != nil || len(c) < 16 {
		t.Errorf("challenge %q is not 128 bits or more", opts.Challenge)
	}

	list, err := r.f.List(ctx, "juliet")
	if err != nil || len(list) != 1 || list[0].ID != fi.ID ||
		!list[0].LastUsed.Equal(r.clock.Now()) {
		t.Errorf("List: %+v, %v", list, err)
	}
	if n := r.store.open(); n != 0 {
		t.Errorf("%d ceremonies left open", n)
	}
}

func TestLoginRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(k *key)
		why    string
	}{
		{"an assertion made for another origin is refused",
			func(k *key) { k.rp.Origin = "https://evil.example" }, "origin"},
		{"an assertion made for another RP ID is refused",
			func(k *key) { k.rp.ID = "evil.example" }, "RP Hash mismatch"},
		{"an assertion without user presence is refused",
			func(k *key) { k.auth.Options.UserNotPresent = true },
			"User presence"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			k := r.enrolled(uvKey, 0)
			tc.change(k)
			out := r.login(k.client())
			rejected(t, out, mfa.ErrRejected)
			mentions(t, out, tc.why)
			if n := r.store.open(); n != 0 {
				t.Errorf("%d ceremonies left open", n)
			}
		})
	}
}

func TestLoginAcceptsEveryConfiguredOrigin(t *testing.T) {
	r := newRig(t, func(c *webauthn.Config) {
		c.Origins = append(c.Origins, "https://chat.example.org")
	})
	k := r.enrolled(uvKey, 0)
	k.rp.Origin = "https://chat.example.org"
	passed(t, r.login(k.client()))
}

func TestRSAKeysRegisterAndSign(t *testing.T) {
	r := newRig(t)
	k := newKey(uvKey, 0)
	k.cred = virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeRSA)
	k.auth.Credentials = nil
	k.auth.AddCredential(k.cred)
	r.register("juliet", k)
	passed(t, r.login(k.client()))
}

func TestStorageFailureFailsClosed(t *testing.T) {
	r := newRig(t)
	k := r.enrolled(uvKey, 0)
	down := errors.New("database unreachable")
	r.store.broken = down
	out := r.login(k.client())
	if out.success != nil ||
		out.failure.Condition != sasl2.TemporaryAuthFailure ||
		!errors.Is(out.cause, down) {
		t.Fatalf("login with the store down: %+v (%v)", out.failure, out.cause)
	}
}

func TestCounterRegressionFailsAndKeepsTheCounter(t *testing.T) {
	r := newRig(t)
	k := r.enrolled(uvKey, 5)
	k.cred.Counter = 9
	passed(t, r.login(k.client()))
	k.cred.Counter = 8
	rejected(t, r.login(k.client()), webauthn.ErrCloned)
	if c := r.credential(); c.SignCount != 9 {
		t.Errorf("counter %d after a regression, want 9", c.SignCount)
	}
}

func TestUserVerificationRequiredButNotGiven(t *testing.T) {
	r := newRig(t, func(c *webauthn.Config) {
		c.UserVerification = webauthn.VerificationRequired
	})
	k := r.enrolled(uvKey, 0)
	k.auth.Options.UserNotVerified = true
	out := r.login(k.client())
	rejected(t, out, mfa.ErrRejected)
	mentions(t, out, "User verification")

	// Registration demands it too.
	ctx := t.Context()
	c, err := r.f.Begin(ctx, "juliet", "")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid([]byte(c.JSON)) ||
		!strings.Contains(c.JSON, `"userVerification":"required"`) {
		t.Errorf("creation options %s do not require UV", c.JSON)
	}
	other := newKey(virtualwebauthn.AuthenticatorOptions{
		UserNotVerified: true}, 0)
	_, err = r.f.Finish(ctx, "juliet", other.attest(t, c.JSON))
	if !errors.Is(err, notAuthorized) || !errors.Is(err, mfa.ErrRejected) {
		t.Errorf("registration without UV: %v", err)
	}
}

func TestExpiredChallengeFails(t *testing.T) {
	r := newRig(t, func(c *webauthn.Config) {
		c.ChallengeTTL = time.Minute
	})
	k := r.enrolled(uvKey, 0)
	slow := webauthn.Client(func(_ context.Context, req string) (string, error) {
		r.clock.Add(time.Minute)
		return k.sign(req)
	})
	rejected(t, r.login(slow), webauthn.ErrExpired)
	if n := r.store.open(); n != 0 {
		t.Errorf("%d ceremonies left open", n)
	}
}

func TestCredentialsOfAnotherAccountAreRefused(t *testing.T) {
	r := newRig(t)
	r.enrolled(uvKey, 0)
	romeo := newKey(uvKey, 0)
	r.register("romeo", romeo)

	// Romeo's key signs juliet's challenge as though allowed.
	sneaky := webauthn.Client(func(_ context.Context, req string) (string, error) {
		opts, err := virtualwebauthn.ParseAssertionOptions(req)
		if err != nil {
			return "", err
		}
		return virtualwebauthn.CreateAssertionResponse(romeo.rp,
			romeo.auth, romeo.cred, *opts), nil
	})
	rejected(t, r.login(sneaky), mfa.ErrRejected)
}

func TestAccountsWithoutCredentialsAreNotAsked(t *testing.T) {
	r := newRig(t)
	out := r.login(newKey(uvKey, 0).client())
	if out.success == nil || len(mfa.ParsePassed(out.success.Extensions)) != 0 {
		t.Fatalf("login without credentials: %+v", out)
	}

	// A task started anyway, as a step-up might, fails uniformly.
	_, err := r.f.Task().Start(t.Context(),
		&sasl2.Result{User: "juliet"}, nil)
	if !errors.Is(err, notAuthorized) || !errors.Is(err, mfa.ErrNotEnrolled) {
		t.Errorf("Start without credentials: %v", err)
	}
}

func TestRemovedCredentialIsNoLongerAsked(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	k := newKey(uvKey, 0)
	fi := r.register("juliet", k)
	if err := r.f.Remove(ctx, "juliet", "not base64!"); !errors.Is(err, mfa.ErrNotFound) {
		t.Errorf("Remove of a bad id: %v", err)
	}
	if err := r.f.Remove(ctx, "romeo", fi.ID); !errors.Is(err, mfa.ErrNotFound) {
		t.Errorf("Remove of another's credential: %v", err)
	}
	if err := r.f.Remove(ctx, "juliet", fi.ID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := r.f.Enrolled(ctx, "juliet"); ok {
		t.Error("still enrolled after removal")
	}
	out := r.login(k.client())
	if out.success == nil || len(mfa.ParsePassed(out.success.Extensions)) != 0 {
		t.Errorf("login after removal: %+v", out)
	}
}

func TestStepUpInTwoRounds(t *testing.T) {
	r := newRig(t)
	k := r.enrolled(uvKey, 0)
	srv := mfa.NewServer(mfa.Config{Factors: []mfa.Factor{r.f},
		Now: r.clock.Now})
	ctx := t.Context()

	u, err := srv.StepUp(ctx, "juliet", mfa.TaskWebAuthn, nil)
	if err != nil || u.Passed {
		t.Fatalf("step-up: %+v, %v", u, err)
	}
	req, err := mfa.One(u.Data, mfa.ElemWebAuthnRequest)
	if err != nil {
		t.Fatalf("step-up sent %+v", u.Data)
	}
	a, err := k.sign(req.Text)
	if err != nil {
		t.Fatal(err)
	}
	err = u.Next(ctx, []sasl2.Element{
		mfa.Text(mfa.ElemWebAuthnAssertion, a)})
	if el := u.Element(); err != nil || !u.Passed ||
		el.Attribute("status") != "passed" {
		t.Fatalf("step-up: %+v, %v", u, err)
	}
}

func TestNewRefusesIncompleteConfigurations(t *testing.T) {
	store := mfa.NewMemoryStore()
	good := webauthn.Config{RPID: rpID, Origins: []string{origin},
		Store: store}
	if _, err := webauthn.New(good); err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*webauthn.Config)
	}{
		{"an RP ID with a port", func(c *webauthn.Config) { c.RPID = "example.org:443" }},
		{"an RP ID with a scheme", func(c *webauthn.Config) { c.RPID = "https://example.org" }},
		{"an RP ID that is an address", func(c *webauthn.Config) { c.RPID = "192.0.2.1" }},
		{"no RP ID", func(c *webauthn.Config) { c.RPID = "" }},
		{"no origins", func(c *webauthn.Config) { c.Origins = nil }},
		{"no store", func(c *webauthn.Config) { c.Store = nil }},
		{"an unknown verification", func(c *webauthn.Config) { c.UserVerification = "always" }},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			if _, err := webauthn.New(cfg); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}

func TestFactorIsNamedForItsTask(t *testing.T) {
	r := newRig(t)
	if r.f.Name() != mfa.TaskWebAuthn || r.f.Task().Name() != mfa.TaskWebAuthn ||
		webauthn.Client(nil).Name() != mfa.TaskWebAuthn {
		t.Error("a name is not MFA-WEBAUTHN")
	}
	var _ mfa.Factor = r.f
}
