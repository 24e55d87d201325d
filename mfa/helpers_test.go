package mfa_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/internal/sasl2test"
	"github.com/xmppauth/xmppauth/internal/testclock"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// gcm is a Sealer for tests: AES-256-GCM under a fixed key with the
// nonce in front.
type gcm struct{ aead cipher.AEAD }

func newSealer(t testing.TB) mfa.Sealer {
	block, err := aes.NewCipher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return gcm{aead}
}

func (g gcm) Seal(p, ad []byte) ([]byte, error) {
	nonce := make([]byte, g.aead.NonceSize())
	rand.Read(nonce)
	return g.aead.Seal(nonce, nonce, p, ad), nil
}

func (g gcm) Open(c, ad []byte) ([]byte, error) {
	n := g.aead.NonceSize()
	if len(c) < n {
		return nil, errors.New("short")
	}
	return g.aead.Open(nil, c[:n], c[n:], ad)
}

// rfcSecret is the SHA-1 secret of RFC 6238 Appendix B.
const rfcSecret = "12345678901234567890"

// clock is the tests' time, set in Unix seconds as RFC 6238 gives it.
type clock struct{ testclock.Clock }

// Set moves the clock to the Unix time unix.
func (c *clock) Set(unix int64) { c.Clock.Set(time.Unix(unix, 0)) }

// rig is a server with both factors of this package on one memory
// store, a password mechanism, and an extension that stands in for
// Bind 2 and FAST and counts the sessions it would have bound.
type rig struct {
	t      *testing.T
	store  *mfa.MemoryStore
	clock  *clock
	totp   *mfa.TOTP
	rec    *mfa.Recovery
	cfg    mfa.Config
	bound  *counter
	events *eventLog

	// For FAST: extensions on both ends and the client's user agent.
	serverExt []sasl2.Extension
	clientExt []sasl2.ClientExtension
	agent     *sasl2.UserAgent
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

type eventLog struct {
	mu  sync.Mutex
	all []sasl2.Event
}

func (l *eventLog) add(e sasl2.Event) {
	l.mu.Lock()
	l.all = append(l.all, e)
	l.mu.Unlock()
}

// last returns the latest event.
func (l *eventLog) last() sasl2.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.all) == 0 {
		return sasl2.Event{}
	}
	return l.all[len(l.all)-1]
}

// newRig returns a rig whose clock reads 1111111000 and whose TOTP
// secrets come from secret, "" for random ones.
func newRig(t *testing.T, secret string, totpCfg ...func(*mfa.TOTPConfig)) *rig {
	t.Helper()
	r := &rig{t: t, store: mfa.NewMemoryStore(), clock: &clock{},
		bound: &counter{}, events: &eventLog{}}
	r.clock.Set(1111111000)
	tc := mfa.TOTPConfig{
		Store: r.store, Sealer: newSealer(t), Issuer: "example.org",
		Now: r.clock.Now,
	}
	if secret != "" {
		tc.Rand = io.MultiReader(strings.NewReader(secret), rand.Reader)
	}
	for _, f := range totpCfg {
		f(&tc)
	}
	var err error
	if r.totp, err = mfa.NewTOTP(tc); err != nil {
		t.Fatal(err)
	}
	r.rec, err = mfa.NewRecovery(mfa.RecoveryConfig{
		Store: r.store, Key: []byte("recovery key"), Now: r.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.cfg = mfa.Config{Factors: []mfa.Factor{r.totp, r.rec},
		Now: r.clock.Now}
	return r
}

// enrolTOTP enrols and confirms TOTP for account at the rig's clock and
// returns the secret in base32.
func (r *rig) enrolTOTP(account string) string {
	r.t.Helper()
	ctx := r.t.Context()
	setup, err := r.totp.Enrol(ctx, account)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.totp.Confirm(ctx, account, r.code(setup.Secret, 0)); err != nil {
		r.t.Fatalf("Confirm: %v", err)
	}
	return setup.Secret
}

// code returns the 6-digit code of secret at the rig's clock plus skew
// steps.
func (r *rig) code(secret string, skew int) string {
	r.t.Helper()
	return totpCode(r.t, secret, r.clock.Now().Add(time.Duration(skew)*mfa.Period))
}

// outcome is how one login ended.
type outcome struct {
	// continued lists the tasks of every <continue> the server sent.
	continued [][]string
	success   *sasl2.Success
	failure   *sasl2.Failure
	// result is the server's Result after success.
	result *sasl2.Result
	// clientErr is the client's error, if any.
	clientErr error
}

// login runs one whole negotiation of user (password "secret") against
// a fresh server with the rig's policy, every element going through XML
// both ways.
func (r *rig) login(user string, cred any, tasks ...sasl2.ClientTask) *outcome {
	r.t.Helper()
	ctx := r.t.Context()
	srv := mfa.NewServer(r.cfg)
	scfg := &sasl2.Config{
		Mechanisms: []sasl2.Mechanism{&password{cred: cred}},
		Extensions: append([]sasl2.Extension{&binder{bound: r.bound}},
			r.serverExt...),
		Policy: srv.Policy(),
		Audit:  r.events.add,
	}
	s := sasl2.NewServer(scfg, &sasl2.Conn{Domain: "example.org",
		TLS: tlsState})
	c := sasl2.NewClient(&sasl2.ClientConfig{
		Mechanisms: []sasl2.ClientMechanism{&passwordClient{user: user}},
		Tasks:      tasks,
		Extensions: r.clientExt,
		UserAgent:  r.agent,
	}, &sasl2.Conn{Domain: "example.org", TLS: tlsState})

	features, cb := s.Features()
	start, err := c.Start(ctx, features, cb)
	if err != nil {
		r.t.Fatal(err)
	}
	out := &outcome{}
	var msg any = start
	for range 10 {
		reply, err := s.Receive(ctx, wire(r.t, msg))
		if err != nil {
			r.t.Fatalf("server: %v", err)
		}
		switch v := reply.(type) {
		case *sasl2.Continue:
			out.continued = append(out.continued, v.Tasks)
		case *sasl2.Success:
			out.success, out.result = v, s.Result()
		case *sasl2.Failure:
			out.failure = v
		}
		next, err := c.Receive(ctx, wire(r.t, reply))
		if err != nil && out.failure == nil {
			out.clientErr = err
		}
		if out.success != nil && !s.Done() {
			r.t.Fatal("success sent but the server is not done")
		}
		if out.failure != nil || out.success != nil {
			return out
		}
		if next == nil {
			r.t.Fatal("client has nothing to send")
		}
		if _, ok := next.(*sasl2.Abort); ok && out.clientErr == nil {
			r.t.Fatal("abort without an error")
		}
		msg = next
	}
	r.t.Fatal("negotiation did not end")
	return nil
}

// race runs n logins of user at once, each with the client task that
// task returns, and reports how many succeeded.
func (r *rig) race(n int, user string, task func() sasl2.ClientTask) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			if out := r.login(user, nil, task()); out.success != nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	return wins
}

// wire carries v through XML, as a stream would.
var wire = sasl2test.Wire

// tlsState stands for the TLS 1.3 stream every test runs on.
var tlsState = &tls.ConnectionState{Version: tls.VersionTLS13,
	HandshakeComplete: true}

// password is a server mechanism for tests: the initial response is the
// user, NUL and "secret". Its credential is cred.
type password struct{ cred any }

func (*password) Name() string               { return "TEST-PASSWORD" }
func (*password) Available(*sasl2.Conn) bool { return true }
func (m *password) Start(context.Context, *sasl2.Conn, *sasl2.Authenticate) (sasl2.Exchange, error) {
	return m, nil
}

func (m *password) Next(_ context.Context, data []byte) (sasl2.Step, error) {
	user, pass, ok := strings.Cut(string(data), "\x00")
	if !ok || pass != "secret" || user == "" {
		return sasl2.Step{}, sasl2.Fail(sasl2.NotAuthorized, "")
	}
	return sasl2.Step{Done: true, User: user, Credential: m.cred}, nil
}

type passwordClient struct{ user string }

func (*passwordClient) Name() string { return "TEST-PASSWORD" }
func (m *passwordClient) Start(context.Context, *sasl2.Conn) (sasl2.ClientExchange, error) {
	return m, nil
}
func (m *passwordClient) Initial() ([]byte, error) {
	return []byte(m.user + "\x00secret"), nil
}
func (*passwordClient) Next([]byte) ([]byte, error) {
	return nil, errors.New("no challenge expected")
}
func (*passwordClient) Verify([]byte) error { return nil }

// binder stands in for Bind 2 and FAST: its Success is where a session
// would be bound and a token issued.
type binder struct{ bound *counter }

func (*binder) Namespace() string { return "urn:test:bind" }
func (*binder) Advertise(*sasl2.Conn) (sasl2.Element, bool) {
	return sasl2.Element{}, false
}
func (b *binder) Request(context.Context, *sasl2.Conn, *sasl2.Authenticate, []sasl2.Element) (sasl2.Request, error) {
	return b, nil
}
func (b *binder) Success(context.Context, *sasl2.Result) error {
	b.bound.inc()
	return nil
}

// fixed is a Prompt that answers code.
func fixed(code string) mfa.Prompt {
	return func(context.Context) (string, error) { return code, nil }
}
