package mfa_test

import (
	"bytes"
	"encoding/base32"
	"errors"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// totpCode returns the 6-digit code of the base32 secret at t.
func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var rfcBase32 = base32.StdEncoding.WithPadding(base32.NoPadding).
	EncodeToString([]byte(rfcSecret))

func TestEnrolmentMakesURISecretAndQRCode(t *testing.T) {
	r := newRig(t, "")
	setup, err := r.totp.Enrol(t.Context(), "juliet")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(setup.URI)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	switch {
	case u.Scheme != "otpauth" || u.Host != "totp":
		t.Errorf("URI %s, want otpauth://totp/", setup.URI)
	case u.Path != "/example.org:juliet@example.org":
		t.Errorf("label %q, want example.org:juliet@example.org", u.Path)
	case q.Get("secret") != setup.Secret || q.Get("issuer") != "example.org" ||
		q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" ||
		q.Get("period") != "30":
		t.Errorf("URI parameters %v", q)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).
		DecodeString(setup.Secret)
	if err != nil || len(raw) != 20 {
		t.Errorf("secret %q is %d bytes (%v), want 160 bits",
			setup.Secret, len(raw), err)
	}

	p, err := setup.PNG(200)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 200 {
		t.Errorf("QR code is %v, want 200×200", b)
	}
	el, err := setup.Element(64)
	if err != nil || el.Child(mfa.NS, "qr") == nil ||
		el.Child(mfa.NS, "uri").Text != setup.URI {
		t.Errorf("enrol result %+v, %v", el, err)
	}

	// The store holds the secret sealed only.
	rec, err := r.store.TOTP(t.Context(), "juliet")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rec.Sealed, raw) || rec.Active {
		t.Errorf("stored %x active %v: secret in the clear or active",
			rec.Sealed, rec.Active)
	}
}

func TestEnrolmentActivatesOnlyAfterAValidCode(t *testing.T) {
	r := newRig(t, "")
	ctx := t.Context()
	setup, err := r.totp.Enrol(ctx, "juliet")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := r.totp.Enrolled(ctx, "juliet"); ok {
		t.Fatal("a pending enrolment counts as enrolled")
	}
	if out := r.login("juliet", nil); out.success == nil || len(out.continued) > 0 {
		t.Fatalf("a pending enrolment was asked for at login: %+v", out)
	}

	wrong := r.code(setup.Secret, 3)
	err = r.totp.Confirm(ctx, "juliet", wrong)
	if !errors.Is(err, sasl2.Fail(sasl2.NotAuthorized, "")) ||
		!errors.Is(err, mfa.ErrRejected) {
		t.Fatalf("Confirm with a wrong code: %v", err)
	}
	if err := r.totp.Confirm(ctx, "juliet", r.code(setup.Secret, 0)); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if ok, _ := r.totp.Enrolled(ctx, "juliet"); !ok {
		t.Fatal("a confirmed enrolment is not enrolled")
	}
	if err := r.totp.Confirm(ctx, "juliet", r.code(setup.Secret, 1)); !errors.Is(err, mfa.ErrNotFound) {
		t.Errorf("Confirm again: %v, want ErrNotFound", err)
	}
	if _, err := r.totp.Enrol(ctx, "juliet"); !errors.Is(err, mfa.ErrConflict) {
		t.Errorf("Enrol over an active enrolment: %v, want ErrConflict", err)
	}

	// Removed, it can be enrolled again.
	if err := r.totp.Remove(ctx, "juliet"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.totp.Enrol(ctx, "juliet"); err != nil {
		t.Errorf("Enrol after removal: %v", err)
	}
}

func TestConfirmationVerifiesTheLatestEnrolment(t *testing.T) {
	r := newRig(t, "")
	ctx := t.Context()
	first, _ := r.totp.Enrol(ctx, "juliet")
	if _, err := r.totp.Enrol(ctx, "juliet"); err != nil {
		t.Fatal(err)
	}
	if err := r.totp.Confirm(ctx, "juliet", r.code(first.Secret, 0)); err == nil {
		t.Fatal("a replaced enrolment's code confirmed the new one")
	}
}

// TestBC05 is field case BC-05: a TOTP code works once, and a code of an
// older step inside the window is refused once a newer one was used.
func TestBC05(t *testing.T) {
	r := newRig(t, rfcSecret)
	// Enrolled and confirmed well before the table starts.
	r.clock.Set(1111110000)
	r.enrolTOTP("juliet")

	lines := []struct {
		unix int64
		code string
		ok   bool
		why  error
	}{
		{1111111085, "081804", true, nil},
		{1111111100, "081804", false, mfa.ErrReplayed},
		{1111111111, "081804", false, mfa.ErrReplayed},
		{1111111111, "050471", true, nil},
		{1111111112, "081804", false, mfa.ErrReplayed},
		{1111111150, "050471", false, mfa.ErrReplayed},
		// (9) A clock set back reopens nothing: by a minute the code is
		// out of the window, by one step it is inside but used.
		{1111111051, "050471", false, mfa.ErrRejected},
		{1111111081, "050471", false, mfa.ErrReplayed},
	}
	for i, l := range lines {
		r.clock.Set(l.unix)
		out := r.login("juliet", nil, mfa.TOTPClient(fixed(l.code)))
		if got := out.success != nil; got != l.ok {
			t.Errorf("line %d: success %v, want %v (%+v)", i+1, got, l.ok,
				out.failure)
			continue
		}
		if !l.ok {
			ev := r.events.last()
			if out.failure.Condition != sasl2.NotAuthorized ||
				!errors.Is(ev.Err, l.why) {
				t.Errorf("line %d: %s, cause %v; want not-authorized, %v",
					i+1, out.failure.Condition, ev.Err, l.why)
			}
		}
	}
}

// TestBC05Concurrent is BC-05 (7): two logins with one code, exactly
// one succeeds; here 64 of them.
func TestBC05Concurrent(t *testing.T) {
	r := newRig(t, rfcSecret)
	r.clock.Set(1111110000)
	r.enrolTOTP("juliet")
	r.clock.Set(1111111085)

	wins := r.race(64, "juliet", func() sasl2.ClientTask {
		return mfa.TOTPClient(fixed("081804"))
	})
	if wins != 1 {
		t.Errorf("%d logins succeeded, want exactly 1", wins)
	}
	if n := r.bound.get(); n != 1 {
		t.Errorf("%d sessions bound, want 1", n)
	}
}

// TestBC05EnrolmentCode is BC-05 (8): the code that confirmed enrolment
// is used up.
func TestBC05EnrolmentCode(t *testing.T) {
	r := newRig(t, rfcSecret)
	r.clock.Set(1111111085)
	setup, err := r.totp.Enrol(t.Context(), "juliet")
	if err != nil {
		t.Fatal(err)
	}
	if setup.Secret != rfcBase32 {
		t.Fatalf("secret %s, want the RFC's", setup.Secret)
	}
	if err := r.totp.Confirm(t.Context(), "juliet", "081804"); err != nil {
		t.Fatal(err)
	}
	out := r.login("juliet", nil, mfa.TOTPClient(fixed("081804")))
	if out.success != nil {
		t.Fatal("the enrolment code logged in")
	}
}

func TestSkewOfOneStepEitherWay(t *testing.T) {
	for _, tc := range []struct {
		skew int
		ok   bool
	}{{-2, false}, {-1, true}, {0, true}, {1, true}, {2, false}} {
		r := newRig(t, "")
		secret := r.enrolTOTP("juliet")
		r.clock.Add(10 * time.Minute)
		out := r.login("juliet", nil,
			mfa.TOTPClient(fixed(r.code(secret, tc.skew))))
		if got := out.success != nil; got != tc.ok {
			t.Errorf("skew %d: success %v, want %v", tc.skew, got, tc.ok)
		}
	}
}

func TestServerPromptsWhenNextCarriesNoCode(t *testing.T) {
	r := newRig(t, "")
	secret := r.enrolTOTP("juliet")
	r.clock.Add(time.Minute)

	ctx := t.Context()
	task := r.totp.Task()
	st, err := task.Start(ctx, &sasl2.Result{User: "juliet"}, nil)
	if err != nil || st.Done || len(st.Data) != 1 ||
		st.Data[0].Name.Local != "totp" || st.Data[0].Attribute("digits") != "6" {
		t.Fatalf("Start without a code: %+v, %v", st, err)
	}
	st, err = task.Next(ctx, []sasl2.Element{mfa.Text(mfa.ElemTOTP, r.code(secret, 0))})
	if err != nil || !st.Done {
		t.Fatalf("Next with the code: %+v, %v", st, err)
	}
	if p := mfa.ParsePassed(st.Result); len(p) != 1 || p[0].Task != mfa.TaskTOTP {
		t.Errorf("result %+v, want <passed task='MFA-TOTP'/>", st.Result)
	}
}

func TestMalformedCodesFailCleanly(t *testing.T) {
	r := newRig(t, "")
	secret := r.enrolTOTP("juliet")
	r.clock.Add(time.Minute)
	good := r.code(secret, 0)
	for _, c := range []string{
		"+" + good[1:], " " + good[:5], good + "0", good[:5], "１２３４５６",
		"12 456", strings.Repeat("1", 5000),
	} {
		out := r.login("juliet", nil, mfa.TOTPClient(fixed(c)))
		if out.success != nil || out.failure == nil {
			t.Errorf("code %q: not a failure", c)
		}
	}
	// Two codes in one payload are malformed.
	task := r.totp.Task()
	_, err := task.Start(t.Context(), &sasl2.Result{User: "juliet"},
		[]sasl2.Element{mfa.Text(mfa.ElemTOTP, good), mfa.Text(mfa.ElemTOTP, good)})
	if !errors.Is(err, sasl2.Fail(sasl2.MalformedRequest, "")) {
		t.Errorf("two codes: %v, want malformed-request", err)
	}
}

func TestFailuresBackOffThenLock(t *testing.T) {
	r := newRig(t, rfcSecret, func(c *mfa.TOTPConfig) {
		c.MaxFailures, c.Backoff, c.MaxBackoff = 6, time.Second, time.Minute
	})
	secret := r.enrolTOTP("juliet")
	r.clock.Add(time.Hour)
	ctx := t.Context()
	try := func(code string) error {
		_, err := r.totp.Task().Start(ctx, &sasl2.Result{User: "juliet"},
			[]sasl2.Element{mfa.Text(mfa.ElemTOTP, code)})
		return err
	}
	wrong := func() string {
		c := []byte(r.code(secret, 0))
		c[0] = '0' + (c[0]-'0'+1)%10
		return string(c)
	}

	// Three failures come free.
	for i := range 3 {
		if err := try(wrong()); !errors.Is(err, mfa.ErrRejected) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// The fourth attempt, even with the right code, must wait a second.
	if err := try(r.code(secret, 0)); !errors.Is(err, mfa.ErrBackoff) {
		t.Fatalf("inside the delay: %v, want ErrBackoff", err)
	}
	r.clock.Add(time.Second)
	if err := try(wrong()); !errors.Is(err, mfa.ErrRejected) {
		t.Fatalf("failure 4: %v", err)
	}
	r.clock.Add(time.Second)
	if err := try(wrong()); !errors.Is(err, mfa.ErrBackoff) {
		t.Fatalf("inside the doubled delay: %v, want ErrBackoff", err)
	}
	r.clock.Add(time.Second)
	if err := try(wrong()); !errors.Is(err, mfa.ErrRejected) {
		t.Fatalf("failure 5: %v", err)
	}
	r.clock.Add(4 * time.Second)
	if err := try(wrong()); !errors.Is(err, mfa.ErrRejected) {
		t.Fatalf("failure 6: %v", err)
	}

	// Locked: the right code fails, however long one waits, and the
	// failure reads like any other.
	r.clock.Add(24 * time.Hour)
	out := r.login("juliet", nil, mfa.TOTPClient(fixed(r.code(secret, 0))))
	if out.success != nil || out.failure.Condition != sasl2.NotAuthorized ||
		out.failure.Text != mfa.FailureText ||
		!errors.Is(r.events.last().Err, mfa.ErrLocked) {
		t.Fatalf("locked login: %+v %+v", out.failure, r.events.last())
	}
	if err := r.totp.Unlock(ctx, "juliet"); err != nil {
		t.Fatal(err)
	}
	out = r.login("juliet", nil, mfa.TOTPClient(fixed(r.code(secret, 0))))
	if out.success == nil {
		t.Fatalf("after unlock: %+v", out.failure)
	}
}

func TestLockNeverExceedsOneHundredFailures(t *testing.T) {
	// The RFC secret makes sure that "000000" is never a right code here.
	r := newRig(t, rfcSecret, func(c *mfa.TOTPConfig) { c.MaxFailures = 1000 })
	r.enrolTOTP("juliet")
	r.clock.Add(time.Hour)
	for i := range 100 {
		r.clock.Add(time.Hour)
		_, err := r.totp.Task().Start(t.Context(), &sasl2.Result{User: "juliet"},
			[]sasl2.Element{mfa.Text(mfa.ElemTOTP, "000000")})
		if errors.Is(err, mfa.ErrLocked) {
			t.Fatalf("locked after %d failures", i)
		}
	}
	r.clock.Add(time.Hour)
	_, err := r.totp.Task().Start(t.Context(), &sasl2.Result{User: "juliet"},
		[]sasl2.Element{mfa.Text(mfa.ElemTOTP, "000000")})
	if !errors.Is(err, mfa.ErrLocked) {
		t.Fatalf("after 100 failures: %v, want ErrLocked", err)
	}
}
