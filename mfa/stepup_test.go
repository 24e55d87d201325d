package mfa_test

import (
	"errors"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

var notAuthorized = sasl2.Fail(sasl2.NotAuthorized, "")

func TestStepUpWithACode(t *testing.T) {
	r := newRig(t, "")
	secret := r.enrolTOTP("juliet")
	r.clock.Add(time.Minute)
	srv := mfa.NewServer(r.cfg)
	ctx := t.Context()

	u, err := srv.StepUp(ctx, "juliet", mfa.TaskTOTP,
		[]sasl2.Element{mfa.Text(mfa.ElemTOTP, r.code(secret, 0))})
	if err != nil || !u.Passed || !u.At.Equal(r.clock.Now()) {
		t.Fatalf("step-up: %+v, %v", u, err)
	}
	if !u.Fresh(r.clock.Now().Add(4*time.Minute)) ||
		u.Fresh(r.clock.Now().Add(mfa.StepUpWindow)) {
		t.Error("a step-up is fresh for exactly StepUpWindow")
	}
	if el := u.Element(); el.Attribute("status") != "passed" ||
		el.Attribute("task") != mfa.TaskTOTP {
		t.Errorf("result %+v", el)
	}
	// The same code cannot step up twice.
	_, err = srv.StepUp(ctx, "juliet", mfa.TaskTOTP,
		[]sasl2.Element{mfa.Text(mfa.ElemTOTP, r.code(secret, 0))})
	if !errors.Is(err, notAuthorized) || !errors.Is(err, mfa.ErrReplayed) {
		t.Errorf("replayed step-up: %v", err)
	}
}

func TestStepUpRefusesFactorsNotEnrolled(t *testing.T) {
	r := newRig(t, "")
	srv := mfa.NewServer(r.cfg)
	ctx := t.Context()
	_, err := srv.StepUp(ctx, "juliet", mfa.TaskTOTP,
		[]sasl2.Element{mfa.Text(mfa.ElemTOTP, "123456")})
	if !errors.Is(err, notAuthorized) || !errors.Is(err, mfa.ErrNotEnrolled) {
		t.Errorf("TOTP not enrolled: %v", err)
	}
	_, err = srv.StepUp(ctx, "juliet", "PLAIN", nil)
	if !errors.Is(err, mfa.ErrMalformed) {
		t.Errorf("unknown task: %v", err)
	}
}

func TestStepUpInTwoRounds(t *testing.T) {
	r := newRig(t, "")
	k := r.withKey()
	k.enrolled["juliet"] = true
	srv := mfa.NewServer(r.cfg)
	ctx := t.Context()

	u, err := srv.StepUp(ctx, "juliet", mfa.TaskWebAuthn, nil)
	if err != nil || u.Passed || len(u.Data) != 1 {
		t.Fatalf("first round: %+v, %v", u, err)
	}
	if el := u.Element(); el.Attribute("status") != "continue" ||
		el.Child(mfa.NS, mfa.ElemWebAuthnRequest) == nil {
		t.Errorf("continue result %+v", el)
	}
	err = u.Next(ctx, []sasl2.Element{
		mfa.Text(mfa.ElemWebAuthnAssertion, "signed")})
	if err != nil || !u.Passed {
		t.Fatalf("second round: %+v, %v", u, err)
	}
	if err := u.Next(ctx, nil); err == nil {
		t.Error("a passed step-up went on")
	}

	u, _ = srv.StepUp(ctx, "juliet", mfa.TaskWebAuthn, nil)
	err = u.Next(ctx, []sasl2.Element{
		mfa.Text(mfa.ElemWebAuthnAssertion, "forged")})
	if !errors.Is(err, notAuthorized) || u.Passed {
		t.Fatalf("forged: %v", err)
	}
	if err := u.Next(ctx, []sasl2.Element{
		mfa.Text(mfa.ElemWebAuthnAssertion, "signed")}); err == nil {
		t.Error("a failed step-up took a second answer")
	}
}
