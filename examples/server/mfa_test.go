package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/examples/internal/xmppclient"
	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/sqlitestore"
	"github.com/xmppauth/xmppauth/internal/testclock"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// clock is the second factors' time in a test: it moves only when told.
type clock struct{ testclock.Clock }

// next moves the clock to the next TOTP time step, so that a new code is
// due.
func (c *clock) next() { c.Add(mfa.Period) }

// pinClock pins the second factors' clock for the rest of the test. Call
// it before starting the server.
func pinClock(t *testing.T) *clock {
	c := &clock{}
	c.Set(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC))
	saved := mfaClock
	mfaClock = c.Now
	t.Cleanup(func() { mfaClock = saved })
	return c
}

// code returns the code an authenticator app shows for uri at c's time.
func (c *clock) code(t *testing.T, uri string) string {
	t.Helper()
	code, err := c.app(uri)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// app is code for a goroutine of the test's own.
func (c *clock) app(uri string) (string, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", err
	}
	return totp.GenerateCodeCustom(key.Secret(), c.Now(), totp.ValidateOpts{
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
}

// fixed is an mfa.Prompt that answers code.
func fixed(code string) mfa.Prompt {
	return func(context.Context) (string, error) { return code, nil }
}

// unasked is an mfa.Prompt that fails the test: no code may be asked.
func unasked(t *testing.T) mfa.Prompt {
	return func(context.Context) (string, error) {
		t.Error("a second factor was asked for")
		return "", errors.New("not asked")
	}
}

// enrolTOTP logs user in with the password and enrols TOTP, and returns
// the enrolment URI. The clock then stands at the next time step.
func (ts *testServer) enrolTOTP(c *clock, user, password string) string {
	ts.t.Helper()
	s := ts.login(ts.config(user), password)
	defer s.Close()
	uri, err := s.EnrolTOTP(timeout(ts.t))
	if err != nil {
		ts.t.Fatal(err)
	}
	if err := s.ConfirmTOTP(timeout(ts.t), c.code(ts.t, uri)); err != nil {
		ts.t.Fatal(err)
	}
	c.next()
	return uri
}

// condition returns the stanza error condition of err, or "".
func condition(err error) string {
	var se *xmppclient.StanzaError
	if errors.As(err, &se) {
		return se.Condition
	}
	return ""
}

func TestMFAEnrolTOTPOverIQ(t *testing.T) {
	c := pinClock(t)
	ts := startServer(t)
	s := ts.login(ts.config("alice"), alicePassword)
	ctx := timeout(t)
	if list, err := s.Factors(ctx); err != nil || len(list) != 0 {
		t.Fatalf("factors before enrolment: %v, %v", list, err)
	}

	uri, err := s.EnrolTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri, "otpauth://totp/localhost:alice@localhost?") {
		t.Errorf("enrolment URI %s", uri)
	}
	// Pending: listed nowhere, asked of no login.
	if list, _ := s.Factors(ctx); len(list) != 0 {
		t.Errorf("a pending enrolment is listed: %v", list)
	}
	ts.login(ts.config("alice"), alicePassword)

	if err := s.ConfirmTOTP(ctx, "000000"); condition(err) != "not-authorized" {
		t.Errorf("a wrong code confirmed: %v, want not-authorized", err)
	}
	if err := s.ConfirmTOTP(ctx, c.code(t, uri)); err != nil {
		t.Fatalf("the right code: %v", err)
	}
	list, err := s.Factors(ctx)
	if err != nil || len(list) != 1 || list[0].Type != mfa.TypeTOTP ||
		!list[0].Created.Equal(c.Now()) {
		t.Errorf("factors after enrolment: %+v, %v", list, err)
	}
	if _, err := s.EnrolTOTP(ctx); condition(err) != "conflict" {
		t.Errorf("a second enrolment: %v, want conflict", err)
	}
}

func TestMFAAccountAdvertisesTheProtocol(t *testing.T) {
	ts := startServer(t)
	s := ts.login(ts.config("bob"), bobPassword)
	s.Send(xmlstream.NewElement(xmlstream.NSClient, "iq",
		"type", "get", "id", "d1", "to", "bob@localhost").
		Add(xmlstream.NewElement(xmlstream.NSDiscoInfo, "query")))
	r, err := s.NextElement(timeout(t))
	if err != nil {
		t.Fatal(err)
	}
	q := r.Child(xmlstream.NSDiscoInfo, "query")
	if r.Attribute("type") != "result" || q == nil ||
		!slices.ContainsFunc(q.Children(), func(f *xmlstream.Element) bool {
			return f.Name.Local == "feature" && f.Attribute("var") == mfa.NS
		}) {
		t.Errorf("disco#info of the account: %s", r)
	}
}

func TestMFALoginNeedsTheCodeOnceEnrolled(t *testing.T) {
	c := pinClock(t)
	ts := startServer(t)
	uri := ts.enrolTOTP(c, "alice", alicePassword)

	// A client that answers no second factor gets no session.
	s := ts.dial(ts.config("alice"))
	if err := s.Login(timeout(t), alicePassword); err == nil || !s.JID().IsZero() {
		t.Fatalf("login without a code: %v, bound %q", err, s.JID())
	}

	// A wrong code fails as any failure does.
	cfg, _ := ts.fastConfig("alice", fast.NewMemoryKeeper())
	cfg.Tasks = []sasl2.ClientTask{mfa.TOTPClient(fixed("123456"))}
	err := ts.dial(cfg).Login(timeout(t), alicePassword)
	var f *sasl2.Failure
	if !errors.As(err, &f) || f.Condition != sasl2.NotAuthorized || f.Text != mfa.FailureText {
		t.Fatalf("a wrong code: %v, want not-authorized", err)
	}
	if cfg.FAST.HasToken() {
		t.Error("a token was kept from a failed login")
	}

	// The right code: a session, and a token that records the factor.
	cfg.Tasks = []sasl2.ClientTask{mfa.TOTPClient(fixed(c.code(t, uri)))}
	s = ts.connect(cfg, alicePassword, true)
	if p := s.Passed(); len(p) != 1 || p[0].Task != mfa.TaskTOTP {
		t.Errorf("passed %v, want MFA-TOTP", p)
	}
	tokens, err := sqlitestore.New(ts.store.db)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := cfg.UserAgent.ClientID()
	_, issued, err := tokens.Tokens(t.Context(), "alice", id)
	if err != nil || issued == nil || !slices.Contains(issued.Factors, mfa.TaskTOTP) {
		t.Errorf("the token issued records %v (%v), want MFA-TOTP", issued, err)
	}
	s.Close()

	// Back with the token: no password, no code.
	cfg.Tasks = []sasl2.ClientTask{mfa.TOTPClient(unasked(t))}
	again := ts.connect(cfg, "", false)
	if !strings.HasPrefix(again.Mechanism(), "HT-") || len(again.Passed()) != 0 {
		t.Errorf("reconnected with %s, passed %v", again.Mechanism(), again.Passed())
	}
}

func TestMFATOTPCodeWorksOnce(t *testing.T) {
	c := pinClock(t)
	ts := startServer(t)
	uri := ts.enrolTOTP(c, "alice", alicePassword)
	cfg := ts.config("alice")
	cfg.Tasks = []sasl2.ClientTask{mfa.TOTPClient(fixed(c.code(t, uri)))}
	ts.login(cfg, alicePassword)
	if err := ts.dial(cfg).Login(timeout(t), alicePassword); err == nil {
		t.Error("the same code logged in twice")
	}
}

func TestMFARecoveryCodeWorksOnce(t *testing.T) {
	ts := startServer(t)
	s := ts.login(ts.config("bob"), bobPassword)
	codes, err := s.RecoveryCodes(timeout(t))
	if err != nil || len(codes) != mfa.MinRecoveryCodes {
		t.Fatalf("recovery codes: %q, %v", codes, err)
	}

	cfg := ts.config("bob")
	cfg.Tasks = []sasl2.ClientTask{mfa.RecoveryClient(fixed(strings.ToLower(codes[0])))}
	in := ts.login(cfg, bobPassword)
	if p := in.Passed(); len(p) != 1 || p[0].Task != mfa.TaskRecovery || p[0].Remaining != 9 {
		t.Errorf("passed %+v, want MFA-RECOVERY with 9 remaining", p)
	}
	if err := ts.dial(cfg).Login(timeout(t), bobPassword); err == nil {
		t.Error("a recovery code logged in twice")
	}

	// A new set replaces the old one, after a step-up with one of it.
	if _, err := in.RecoveryCodes(timeout(t)); !xmppclient.IsStepUpRequired(err) {
		t.Fatalf("replacing the codes without a step-up: %v", err)
	}
	if err := in.StepUp(timeout(t), mfa.RecoveryClient(fixed(codes[1]))); err != nil {
		t.Fatal(err)
	}
	if _, err := in.RecoveryCodes(timeout(t)); err != nil {
		t.Fatal(err)
	}
	cfg.Tasks = []sasl2.ClientTask{mfa.RecoveryClient(fixed(codes[2]))}
	if err := ts.dial(cfg).Login(timeout(t), bobPassword); err == nil {
		t.Error("a code of the replaced set logged in")
	}
}

func TestMFARemovalNeedsAStepUp(t *testing.T) {
	c := pinClock(t)
	ts := startServer(t)
	uri := ts.enrolTOTP(c, "alice", alicePassword)
	cfg, _ := ts.fastConfig("alice", fast.NewMemoryKeeper())
	cfg.Tasks = []sasl2.ClientTask{mfa.TOTPClient(fixed(c.code(t, uri)))}
	s := ts.connect(cfg, alicePassword, true)
	ctx := timeout(t)

	if err := s.RemoveFactor(ctx, mfa.TypeTOTP, mfa.TypeTOTP); !xmppclient.IsStepUpRequired(err) {
		t.Fatalf("removal without a step-up: %v, want forbidden with step-up-required", err)
	}
	// The login used this step's code.
	if err := s.StepUp(ctx, mfa.TOTPClient(fixed(c.code(t, uri)))); condition(err) != "not-authorized" {
		t.Errorf("a step-up with the login's code: %v, want not-authorized", err)
	}
	c.next()
	if err := s.StepUp(ctx, mfa.TOTPClient(fixed(c.code(t, uri)))); err != nil {
		t.Fatalf("a step-up with a new code: %v", err)
	}
	if err := s.RemoveFactor(ctx, mfa.TypeTOTP, mfa.TypeTOTP); err != nil {
		t.Fatalf("removal after the step-up: %v", err)
	}
	if list, err := s.Factors(ctx); err != nil || len(list) != 0 {
		t.Errorf("factors after the removal: %v, %v", list, err)
	}
	if err := s.RemoveFactor(ctx, mfa.TypeTOTP, mfa.TypeTOTP); condition(err) != "item-not-found" {
		t.Errorf("removing it again: %v, want item-not-found", err)
	}

	// The step-up goes stale.
	c.Add(mfa.StepUpWindow)
	if _, err := s.RecoveryCodes(ctx); err != nil {
		t.Fatalf("first recovery codes: %v", err)
	}
	if err := s.RemoveFactor(ctx, mfa.TypeRecovery, mfa.TypeRecovery); !xmppclient.IsStepUpRequired(err) {
		t.Errorf("removal five minutes after the step-up: %v", err)
	}

	// The token remembered a factor that is gone: revoked.
	s.Close()
	var refused error
	if _, err := xmppclient.Connect(timeout(t), cfg, func(err error) (string, error) {
		refused = err
		return "", err
	}); !errors.Is(refused, fast.ErrRejected) {
		t.Errorf("the token after the removal: %v", err)
	}
}

func TestMFAEnrolmentRevokesTheTokens(t *testing.T) {
	c := pinClock(t)
	ts := startServer(t)
	cfg, _ := ts.fastConfig("bob", fast.NewMemoryKeeper())
	ts.connect(cfg, bobPassword, true).Close()
	uri := ts.enrolTOTP(c, "bob", bobPassword)

	// The old token is refused, and the password then needs the code.
	cfg.Tasks = []sasl2.ClientTask{mfa.TOTPClient(fixed(c.code(t, uri)))}
	var refused error
	s, err := xmppclient.Connect(timeout(t), cfg, func(err error) (string, error) {
		refused = err
		return bobPassword, nil
	})
	var f *sasl2.Failure
	if err != nil || !errors.As(refused, &f) || f.Condition != sasl2.CredentialsExpired {
		t.Fatalf("after the enrolment: %v, token refused with %v", err, refused)
	}
	defer s.Close()
	if p := s.Passed(); len(p) != 1 || p[0].Task != mfa.TaskTOTP {
		t.Errorf("passed %v", p)
	}
}

func TestMFAStepUpForAnAccountWithoutFactorsIsItsPasswordLogin(t *testing.T) {
	c := pinClock(t)
	ts := startServer(t)
	s := ts.login(ts.config("bob"), bobPassword)

	// Nothing to remove, but the login was recent enough to try.
	c.Add(mfa.StepUpWindow - time.Second)
	if err := s.RemoveFactor(timeout(t), mfa.TypeRecovery, mfa.TypeRecovery); condition(err) != "item-not-found" {
		t.Errorf("removal within five minutes of the login: %v, want item-not-found", err)
	}
	c.Add(time.Second)
	if err := s.RemoveFactor(timeout(t), mfa.TypeRecovery, mfa.TypeRecovery); !xmppclient.IsStepUpRequired(err) {
		t.Errorf("removal five minutes after the login: %v, want step-up-required", err)
	}

	// A token login is no password login.
	cfg, _ := ts.fastConfig("alice", fast.NewMemoryKeeper())
	ts.connect(cfg, alicePassword, true).Close()
	s = ts.connect(cfg, "", false)
	if err := s.RemoveFactor(timeout(t), mfa.TypeRecovery, mfa.TypeRecovery); !xmppclient.IsStepUpRequired(err) {
		t.Errorf("removal after a token login: %v, want step-up-required", err)
	}
}

// lineWriter hands each line written to it to line.
type lineWriter func(line string)

func (w lineWriter) Write(p []byte) (int, error) {
	for l := range strings.Lines(string(p)) {
		w(strings.TrimSuffix(l, "\n"))
	}
	return len(p), nil
}

// addUserTOTP runs adduser -totp for jid as a script would: the password,
// then, once the URI is out, the code that answer makes of it. It returns
// what went to standard output and standard error, and run's error.
func addUserTOTP(t *testing.T, dir, jid string, answer func(uri string) (string, error)) ([]string, string, error) {
	t.Helper()
	var stdout []string
	var stderr strings.Builder
	uris := make(chan string, 1)
	out := lineWriter(func(l string) {
		stdout = append(stdout, l)
		if strings.HasPrefix(l, "otpauth://") {
			uris <- l
		}
	})
	in, feed := io.Pipe()
	defer in.Close()
	go func() {
		fmt.Fprintln(feed, "s3cret pass")
		code, err := answer(<-uris)
		if err != nil {
			feed.CloseWithError(err)
			return
		}
		fmt.Fprintln(feed, code)
		feed.Close()
	}()
	args := []string{"-data", dir, "adduser", "-totp", jid}
	err := run(t.Context(), args, in, out, &stderr)
	return stdout, stderr.String(), err
}

func TestMFAAddUserEnrolsTOTP(t *testing.T) {
	c := pinClock(t)
	dir := t.TempDir()
	stdout, stderr, err := addUserTOTP(t, dir, "carol@localhost", c.app)
	if err != nil {
		t.Fatal(err)
	}
	if len(stdout) != 2 || stdout[1] != "added carol@localhost" ||
		!strings.Contains(stderr, "█") {
		t.Errorf("standard output %q; standard error:\n%s", stdout, stderr)
	}

	// The server asks carol for a code, a new one.
	ts := startServerIn(t, dir)
	cfg := ts.config("carol")
	if err := ts.dial(cfg).Login(timeout(t), "s3cret pass"); err == nil {
		t.Error("carol logged in without a code")
	}
	c.next()
	cfg.Tasks = []sasl2.ClientTask{mfa.TOTPClient(fixed(c.code(t, stdout[0])))}
	if p := ts.login(cfg, "s3cret pass").Passed(); len(p) != 1 || p[0].Task != mfa.TaskTOTP {
		t.Errorf("carol passed %v", p)
	}
}

func TestMFAAddUserWithAWrongCodeAddsNobody(t *testing.T) {
	pinClock(t)
	dir := t.TempDir()
	_, _, err := addUserTOTP(t, dir, "dave@localhost", func(string) (string, error) {
		return "000000", nil
	})
	if err == nil || !strings.Contains(err.Error(), "not accepted") {
		t.Errorf("adduser with a wrong code: %v", err)
	}
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ok, err := st.Exists(t.Context(), "dave"); ok || err != nil {
		t.Errorf("dave exists: %v, %v", ok, err)
	}
}

func TestMFATOTPGoesWithAddUser(t *testing.T) {
	var out strings.Builder
	args := []string{"-data", t.TempDir(), "-totp", "passwd", "alice@localhost"}
	if err := run(t.Context(), args, strings.NewReader("pw\n"), &out, &out); err == nil {
		t.Error("passwd -totp ran")
	}
}
