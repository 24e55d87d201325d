package mfa_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// keyFactor stands in for MFA-WEBAUTHN: a two-step task whose server
// sends a request and whose client must answer "signed".
type keyFactor struct {
	mu       sync.Mutex
	enrolled map[string]bool
	err      error // returned by Enrolled when set
}

func (*keyFactor) Name() string { return mfa.TaskWebAuthn }

func (k *keyFactor) Enrolled(_ context.Context, account string) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.enrolled[account], k.err
}

func (k *keyFactor) List(context.Context, string) ([]mfa.FactorInfo, error) {
	return nil, nil
}

func (*keyFactor) Task() sasl2.Task { return &keyTask{} }

type keyTask struct{ started bool }

func (*keyTask) Name() string { return mfa.TaskWebAuthn }

func (k *keyTask) Start(context.Context, *sasl2.Result, []sasl2.Element) (sasl2.TaskStep, error) {
	k.started = true
	return sasl2.TaskStep{Data: []sasl2.Element{
		mfa.Text(mfa.ElemWebAuthnRequest, `{"challenge":"c"}`)}}, nil
}

func (k *keyTask) Next(_ context.Context, payload []sasl2.Element) (sasl2.TaskStep, error) {
	el, err := mfa.One(payload, mfa.ElemWebAuthnAssertion)
	if err != nil {
		return sasl2.TaskStep{}, mfa.Failed(err)
	}
	if !k.started || el.Text != "signed" {
		return sasl2.TaskStep{}, mfa.Failed(mfa.ErrRejected)
	}
	p := mfa.Passed{Task: mfa.TaskWebAuthn, Remaining: -1}
	return sasl2.TaskStep{Done: true, Result: []sasl2.Element{p.Element()}}, nil
}

// keyClient is the client of keyFactor, answering answer.
type keyClient struct{ answer string }

func (*keyClient) Name() string { return mfa.TaskWebAuthn }
func (*keyClient) Start(context.Context) ([]sasl2.Element, error) {
	return nil, nil
}
func (c *keyClient) Next(_ context.Context, payload []sasl2.Element) ([]sasl2.Element, error) {
	if _, err := mfa.One(payload, mfa.ElemWebAuthnRequest); err != nil {
		return nil, err
	}
	return []sasl2.Element{mfa.Text(mfa.ElemWebAuthnAssertion, c.answer)}, nil
}

// aborter is a client task that gives up when the server asks for data.
type aborter struct{ name string }

func (a *aborter) Name() string                                 { return a.name }
func (*aborter) Start(context.Context) ([]sasl2.Element, error) { return nil, nil }
func (*aborter) Next(context.Context, []sasl2.Element) ([]sasl2.Element, error) {
	return nil, errors.New("the user cancelled")
}

// withKey adds keyFactor between TOTP and recovery codes.
func (r *rig) withKey() *keyFactor {
	k := &keyFactor{enrolled: map[string]bool{}}
	r.cfg.Factors = []mfa.Factor{r.totp, k, r.rec}
	return k
}

func TestNoFactorNoTask(t *testing.T) {
	r := newRig(t, "")
	out := r.login("juliet", nil, mfa.TOTPClient(fixed("123456")))
	if out.success == nil || len(out.continued) > 0 || r.bound.get() != 1 {
		t.Fatalf("login without factors: %+v", out)
	}
}

func TestTOTPLogin(t *testing.T) {
	r := newRig(t, "")
	secret := r.enrolTOTP("juliet")
	r.clock.Add(time.Minute)
	out := r.login("juliet", nil, mfa.TOTPClient(fixed(r.code(secret, 0))))
	if out.success == nil {
		t.Fatalf("failure %+v", out.failure)
	}
	if !slices.Equal(out.continued[0], []string{mfa.TaskTOTP}) {
		t.Errorf("offered %q, want MFA-TOTP alone", out.continued)
	}
	if !slices.Equal(out.result.Tasks, []string{mfa.TaskTOTP}) {
		t.Errorf("Result.Tasks = %q", out.result.Tasks)
	}
	if p := mfa.ParsePassed(out.success.Extensions); len(p) != 1 ||
		p[0].Task != mfa.TaskTOTP {
		t.Errorf("success carries %+v", out.success.Extensions)
	}
	if r.bound.get() != 1 {
		t.Errorf("bound %d sessions, want 1", r.bound.get())
	}
}

func TestFailuresFailTheWholeAuthentication(t *testing.T) {
	r := newRig(t, rfcSecret)
	k := r.withKey()
	r.clock.Set(1111110000)
	r.enrolTOTP("juliet")
	k.enrolled["juliet"] = true
	codes, err := r.rec.Generate(t.Context(), "juliet")
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Set(1111111109)

	cases := []struct {
		name string
		task sasl2.ClientTask
		cond sasl2.Condition
	}{
		{"a wrong TOTP code", mfa.TOTPClient(fixed("000000")), sasl2.NotAuthorized},
		{"a wrong recovery code", mfa.RecoveryClient(fixed("0000-0000-0000-0000")),
			sasl2.NotAuthorized},
		{"a refused assertion", &keyClient{"forged"}, sasl2.NotAuthorized},
		{"an aborted task", &aborter{mfa.TaskWebAuthn}, sasl2.Aborted},
		{"a TOTP client that sends garbage", mfa.TOTPClient(fixed("x")),
			sasl2.NotAuthorized},
	}
	var texts []string
	for _, tc := range cases {
		out := r.login("juliet", nil, tc.task)
		switch {
		case out.success != nil:
			t.Errorf("%s: success", tc.name)
		case out.failure == nil:
			t.Errorf("%s: no failure", tc.name)
		case out.failure.Condition != tc.cond:
			t.Errorf("%s: %s, want %s", tc.name, out.failure.Condition, tc.cond)
		case tc.cond == sasl2.NotAuthorized:
			texts = append(texts, out.failure.Text)
		}
	}
	if r.bound.get() != 0 {
		t.Errorf("%d sessions bound by failed logins", r.bound.get())
	}
	// No failure says which factor failed or exists.
	for _, txt := range texts {
		if txt != mfa.FailureText {
			t.Errorf("failure text %q, want %q", txt, mfa.FailureText)
		}
	}
	// The codes still work: nothing was consumed by the failures.
	out := r.login("juliet", nil, mfa.RecoveryClient(fixed(codes[0])))
	if out.success == nil {
		t.Fatalf("recovery code after failures: %+v", out.failure)
	}
}

func TestOfferListsOnlyEnrolledFactors(t *testing.T) {
	r := newRig(t, "")
	k := r.withKey()
	ctx := t.Context()
	offer := func() []string {
		t.Helper()
		out := r.login("juliet", nil, &aborter{mfa.TaskTOTP},
			&aborter{mfa.TaskWebAuthn}, &aborter{mfa.TaskRecovery})
		if len(out.continued) == 0 {
			return nil
		}
		return out.continued[0]
	}

	if got := offer(); got != nil {
		t.Errorf("nothing enrolled: offered %q", got)
	}
	if _, err := r.rec.Generate(ctx, "juliet"); err != nil {
		t.Fatal(err)
	}
	if got := offer(); !slices.Equal(got, []string{mfa.TaskRecovery}) {
		t.Errorf("codes: offered %q", got)
	}
	k.enrolled["juliet"] = true
	r.enrolTOTP("juliet")
	want := []string{mfa.TaskTOTP, mfa.TaskWebAuthn, mfa.TaskRecovery}
	if got := offer(); !slices.Equal(got, want) {
		t.Errorf("all three: offered %q, want %q", got, want)
	}

	// Policy may narrow the choice.
	r.cfg.Require = func(context.Context, *sasl2.Result) (*mfa.Requirement, error) {
		return &mfa.Requirement{Factors: []string{mfa.TaskWebAuthn}}, nil
	}
	if got := offer(); !slices.Equal(got, []string{mfa.TaskWebAuthn}) {
		t.Errorf("WebAuthn only: offered %q", got)
	}
	// And an account of someone else stays untouched.
	out := r.login("romeo", nil)
	if out.success == nil || len(out.continued) > 0 {
		t.Errorf("romeo: %+v", out)
	}
}

func TestTheClientPicksItsPreferredFactor(t *testing.T) {
	r := newRig(t, "")
	k := r.withKey()
	k.enrolled["juliet"] = true
	r.enrolTOTP("juliet")
	out := r.login("juliet", nil, &keyClient{"signed"},
		mfa.TOTPClient(fixed("000000")))
	if out.success == nil ||
		!slices.Equal(out.result.Tasks, []string{mfa.TaskWebAuthn}) {
		t.Fatalf("%+v", out)
	}
}

func TestMandatoryFactorNotEnrolled(t *testing.T) {
	r := newRig(t, "")
	r.withKey()
	r.enrolTOTP("juliet")
	r.cfg.Require = func(_ context.Context, res *sasl2.Result) (*mfa.Requirement, error) {
		if res.User != "admin" {
			return nil, nil
		}
		return &mfa.Requirement{Factors: []string{mfa.TaskWebAuthn},
			Mandatory: true}, nil
	}
	// juliet has TOTP, but policy asks nothing of her.
	if out := r.login("juliet", nil); out.success == nil || len(out.continued) > 0 {
		t.Errorf("juliet: %+v", out)
	}
	out := r.login("admin", nil, &keyClient{"signed"})
	if out.success != nil || out.failure.Condition != sasl2.NotAuthorized ||
		out.failure.Text != mfa.FailureText {
		t.Errorf("admin without a key: %+v", out.failure)
	}
	r.cfg.AllowUnenrolled = true
	if out := r.login("admin", nil); out.success == nil {
		t.Errorf("admin allowed to enrol: %+v", out.failure)
	}
}

func TestStoreErrorsFailClosed(t *testing.T) {
	r := newRig(t, "")
	k := r.withKey()
	k.err = errors.New("database down")
	out := r.login("juliet", nil, &keyClient{"signed"})
	if out.success != nil || out.failure.Condition != sasl2.TemporaryAuthFailure ||
		out.failure.Text != "" {
		t.Fatalf("%+v", out.failure)
	}
	if err := r.events.last().Err; err == nil || !errors.Is(err, k.err) {
		t.Errorf("audit cause %v", err)
	}

	r.cfg.Require = func(context.Context, *sasl2.Result) (*mfa.Requirement, error) {
		return nil, errors.New("directory down")
	}
	if out := r.login("juliet", nil); out.failure == nil ||
		out.failure.Condition != sasl2.TemporaryAuthFailure {
		t.Fatalf("policy error: %+v", out)
	}
}

func TestRememberedCredentialSkipsTasks(t *testing.T) {
	r := newRig(t, "")
	r.enrolTOTP("juliet")
	passed := &fast.Token{Factors: []string{"SCRAM-SHA-256", mfa.TaskTOTP}}
	out := r.login("juliet", passed)
	if out.success == nil || len(out.continued) > 0 {
		t.Fatalf("token that passed TOTP: %+v", out)
	}

	// A token from before TOTP was enrolled no longer satisfies policy:
	// never <continue> on a token login (XEP-0484 §4).
	old := &fast.Token{Factors: []string{"SCRAM-SHA-256"}}
	out = r.login("juliet", old, mfa.TOTPClient(fixed("000000")))
	if out.failure == nil || out.failure.Condition != sasl2.CredentialsExpired ||
		len(out.continued) > 0 {
		t.Fatalf("token without TOTP: %+v", out)
	}
	// But it does for an account without factors.
	if out := r.login("romeo", old); out.success == nil {
		t.Fatalf("romeo's token: %+v", out.failure)
	}

	// A policy that now wants WebAuthn refuses the TOTP token.
	k := r.withKey()
	k.enrolled["juliet"] = true
	r.cfg.Require = func(context.Context, *sasl2.Result) (*mfa.Requirement, error) {
		return &mfa.Requirement{Factors: []string{mfa.TaskWebAuthn}}, nil
	}
	if out := r.login("juliet", passed); out.failure == nil ||
		out.failure.Condition != sasl2.CredentialsExpired {
		t.Fatalf("TOTP token, WebAuthn policy: %+v", out)
	}

	// A host's own hook decides what is remembered.
	r.cfg.Remembered = func(res *sasl2.Result) ([]string, bool) {
		s, ok := res.Credential.(string)
		return []string{s}, ok
	}
	if out := r.login("juliet", mfa.TaskWebAuthn); out.success == nil {
		t.Fatalf("hook: %+v", out.failure)
	}
}
