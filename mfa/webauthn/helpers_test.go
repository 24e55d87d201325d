package webauthn_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/xmppauth/xmppauth/internal/sasl2test"
	"github.com/xmppauth/xmppauth/internal/testclock"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/webauthn"
	"github.com/xmppauth/xmppauth/sasl2"
	"github.com/xmppauth/xmppauth/sasl2/plain"
)

// The relying party of every test: the XMPP domain example.org, whose
// web client runs at https://example.org.
const (
	rpID   = "example.org"
	origin = "https://example.org"
)

// clock is the tests' time.
type clock = testclock.Clock

// spyStore is a MemoryStore that counts the ceremonies stored and not yet
// taken, so that a test can see a challenge used up, and whose
// UseWebAuthnCredential fails with broken when that is set.
type spyStore struct {
	*mfa.MemoryStore
	mu      sync.Mutex
	pending map[string]bool
	broken  error
}

func (s *spyStore) UseWebAuthnCredential(ctx context.Context, account string, id []byte, old, count uint32, backupState bool, at time.Time) error {
	if s.broken != nil {
		return s.broken
	}
	return s.MemoryStore.UseWebAuthnCredential(ctx, account, id, old,
		count, backupState, at)
}

func (s *spyStore) PutWebAuthnChallenge(ctx context.Context, c *mfa.WebAuthnChallenge) error {
	err := s.MemoryStore.PutWebAuthnChallenge(ctx, c)
	if err == nil {
		s.mu.Lock()
		s.pending[c.ID] = true
		s.mu.Unlock()
	}
	return err
}

func (s *spyStore) TakeWebAuthnChallenge(ctx context.Context, account, id string) (*mfa.WebAuthnChallenge, error) {
	c, err := s.MemoryStore.TakeWebAuthnChallenge(ctx, account, id)
	if err == nil {
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
	}
	return c, err
}

// open returns the number of ceremonies stored and not taken.
func (s *spyStore) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// rig is a WebAuthn factor on a spy store, with a pinned clock.
type rig struct {
	t     testing.TB
	store *spyStore
	clock *clock
	f     *webauthn.Factor
}

// newRig returns a rig whose factor has the test relying party and what
// edits make of its configuration.
func newRig(t testing.TB, edits ...func(*webauthn.Config)) *rig {
	t.Helper()
	r := &rig{t: t,
		store: &spyStore{MemoryStore: mfa.NewMemoryStore(),
			pending: map[string]bool{}},
		clock: testclock.New(time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC))}
	cfg := webauthn.Config{
		RPID: rpID, RPDisplayName: "Example", Origins: []string{origin},
		Store: r.store, Now: r.clock.Now,
	}
	for _, e := range edits {
		e(&cfg)
	}
	var err error
	if r.f, err = webauthn.New(cfg); err != nil {
		t.Fatal(err)
	}
	return r
}

// key is a virtual authenticator holding one credential, and the relying
// party it believes it talks to.
type key struct {
	rp   virtualwebauthn.RelyingParty
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

// newKey returns an authenticator with a new EC2 credential whose counter
// starts at counter, for the test relying party.
func newKey(opts virtualwebauthn.AuthenticatorOptions, counter uint32) *key {
	k := &key{
		rp:   virtualwebauthn.RelyingParty{ID: rpID, Origin: origin},
		auth: virtualwebauthn.NewAuthenticatorWithOptions(opts),
		cred: newCredential(),
	}
	k.cred.Counter = counter
	k.auth.AddCredential(k.cred)
	return k
}

// newCredential returns an EC2 credential whose public key go-webauthn
// accepts. virtualwebauthn writes a coordinate that starts with a zero
// byte one byte short, one key in 64, which go-webauthn rightly refuses;
// such keys are drawn again.
func newCredential() virtualwebauthn.Credential {
	for {
		c := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
		priv, err := x509.ParsePKCS8PrivateKey(c.Key.Data)
		if err != nil {
			panic(err)
		}
		// 0x04, then X and Y in 32 bytes each.
		p, err := priv.(*ecdsa.PrivateKey).PublicKey.Bytes()
		if err == nil && p[1] != 0 && p[33] != 0 {
			return c
		}
	}
}

// attest answers creation options as navigator.credentials.create()
// would.
func (k *key) attest(t testing.TB, creation string) string {
	t.Helper()
	opts, err := virtualwebauthn.ParseAttestationOptions(creation)
	if err != nil {
		t.Fatalf("creation options %s: %v", creation, err)
	}
	return virtualwebauthn.CreateAttestationResponse(k.rp, k.auth, k.cred,
		*opts)
}

// sign answers request options as navigator.credentials.get() would.
func (k *key) sign(request string) (string, error) {
	opts, err := virtualwebauthn.ParseAssertionOptions(request)
	if err != nil {
		return "", err
	}
	if k.auth.FindAllowedCredential(*opts) == nil {
		return "", errors.New("credential not allowed")
	}
	return virtualwebauthn.CreateAssertionResponse(k.rp, k.auth, k.cred,
		*opts), nil
}

// client returns the client task that signs with k.
func (k *key) client() sasl2.ClientTask {
	return webauthn.Client(func(_ context.Context, req string) (string, error) {
		return k.sign(req)
	})
}

// register enrols k for account through Begin and Finish.
func (r *rig) register(account string, k *key) *mfa.FactorInfo {
	r.t.Helper()
	ctx := r.t.Context()
	c, err := r.f.Begin(ctx, account, "Blue key")
	if err != nil {
		r.t.Fatal(err)
	}
	fi, err := r.f.Finish(ctx, account, k.attest(r.t, c.JSON))
	if err != nil {
		r.t.Fatalf("Finish: %v", err)
	}
	return fi
}

// enrolled registers a new key for juliet and returns it.
func (r *rig) enrolled(opts virtualwebauthn.AuthenticatorOptions, counter uint32) *key {
	r.t.Helper()
	k := newKey(opts, counter)
	r.register("juliet", k)
	return k
}

// credential returns juliet's only credential as stored.
func (r *rig) credential() mfa.WebAuthnCredential {
	r.t.Helper()
	creds, err := r.store.WebAuthnCredentials(r.t.Context(), "juliet")
	if err != nil || len(creds) != 1 {
		r.t.Fatalf("credentials %+v, %v; want one", creds, err)
	}
	return creds[0]
}

// outcome is how one login ended.
type outcome struct {
	success *sasl2.Success
	failure *sasl2.Failure
	// cause is the error the server's audit event gave for a failure.
	cause error
}

// tlsState stands for the TLS 1.3 stream every login runs on.
var tlsState = &tls.ConnectionState{Version: tls.VersionTLS13,
	HandshakeComplete: true}

// server returns a SASL2 server for juliet, password "secret", with
// PLAIN and the rig's factor under mfa.Server's policy, before its
// features are sent. The cause of a failure lands in *cause.
func (r *rig) server(cause *error) *sasl2.Server {
	verify := func(_ context.Context, user, pass string) error {
		if user != "juliet" || pass != "secret" {
			return sasl2.Fail(sasl2.NotAuthorized, "")
		}
		return nil
	}
	policy := mfa.NewServer(mfa.Config{
		Factors: []mfa.Factor{r.f}, Now: r.clock.Now})
	return sasl2.NewServer(&sasl2.Config{
		Mechanisms: []sasl2.Mechanism{plain.Mechanism(verify)},
		Policy:     policy.Policy(),
		Audit: func(e sasl2.Event) {
			if e.Kind == sasl2.EventFailure {
				*cause = e.Err
			}
		},
	}, &sasl2.Conn{Domain: rpID, TLS: tlsState})
}

// login runs one negotiation of juliet with the client task, every
// element going through XML both ways.
func (r *rig) login(task sasl2.ClientTask) *outcome {
	r.t.Helper()
	ctx := r.t.Context()
	var cause error
	s := r.server(&cause)
	c := sasl2.NewClient(&sasl2.ClientConfig{
		Mechanisms: []sasl2.ClientMechanism{
			plain.ClientMechanism("juliet", "secret", nil)},
		Tasks: []sasl2.ClientTask{task},
	}, &sasl2.Conn{Domain: rpID, TLS: tlsState})

	features, cb := s.Features()
	var msg any
	msg, err := c.Start(ctx, features, cb)
	if err != nil {
		r.t.Fatal(err)
	}
	for range 8 {
		reply, err := s.Receive(ctx, wire(r.t, msg))
		if err != nil {
			r.t.Fatalf("server: %v", err)
		}
		switch v := reply.(type) {
		case *sasl2.Success:
			return &outcome{success: v}
		case *sasl2.Failure:
			return &outcome{failure: v, cause: cause}
		}
		if msg, err = c.Receive(ctx, wire(r.t, reply)); err != nil {
			r.t.Fatalf("client: %v", err)
		}
	}
	r.t.Fatal("negotiation did not end")
	return nil
}

// wire carries v through XML, as a stream would.
var wire = sasl2test.Wire

// recorder is a client task that signs with k and keeps the last
// assertion, or that sends a fixed one when replay is set.
type recorder struct {
	k      *key
	last   string
	replay string
}

func (r *recorder) task() sasl2.ClientTask {
	return webauthn.Client(func(_ context.Context, req string) (string, error) {
		if r.replay != "" {
			return r.replay, nil
		}
		a, err := r.k.sign(req)
		r.last = a
		return a, err
	})
}

// rejected fails t unless out is the uniform not-authorized failure of
// docs/mfa.md §4.6 with a cause for which errors.Is(cause, why).
func rejected(t *testing.T, out *outcome, why error) {
	t.Helper()
	switch {
	case out.success != nil:
		t.Fatal("login succeeded")
	case out.failure.Condition != sasl2.NotAuthorized ||
		out.failure.Text != mfa.FailureText:
		t.Fatalf("failure %s %q, want not-authorized %q",
			out.failure.Condition, out.failure.Text, mfa.FailureText)
	case !errors.Is(out.cause, why):
		t.Fatalf("cause %v, want %v", out.cause, why)
	}
}

// mentions fails t unless the cause of the failure out says why: the
// check that refused it, in go-webauthn's words.
func mentions(t *testing.T, out *outcome, why string) {
	t.Helper()
	if out.cause == nil || !strings.Contains(out.cause.Error(), why) {
		t.Errorf("cause %v does not say %q", out.cause, why)
	}
}

// passed fails t unless out is a success that records MFA-WEBAUTHN.
func passed(t *testing.T, out *outcome) {
	t.Helper()
	if out.success == nil {
		t.Fatalf("login failed: %s (%v)", out.failure.Condition, out.cause)
	}
	p := mfa.ParsePassed(out.success.Extensions)
	if len(p) != 1 || p[0].Task != mfa.TaskWebAuthn {
		t.Fatalf("success holds %+v, want MFA-WEBAUTHN passed", p)
	}
}
