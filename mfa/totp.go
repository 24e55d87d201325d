package mfa

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/xmppauth/xmppauth/sasl2"
)

// TOTP parameters fixed for interoperability (docs/mfa.md §4.3, as in
// XEP-0400): HMAC-SHA-1 and a 30-second period from the Unix epoch.
const (
	// Period is the length of one RFC 6238 time step.
	Period = 30 * time.Second
	// Skew is how many steps either side of the current one a code may
	// belong to.
	Skew = 1
	// secretSize is the TOTP secret's length in bytes: 160 bits, as
	// RFC 4226 §4 recommends.
	secretSize = 20
	// freeFailures is how many consecutive failures come without delay.
	freeFailures = 3
	// maxFailures is the ceiling NIST SP 800-63B §5.2.2 sets on
	// consecutive failures before a lock.
	maxFailures = 100
)

// TOTPConfig configures a TOTP factor.
type TOTPConfig struct {
	// Store keeps the enrolments. Required.
	Store TOTPStore
	// Sealer seals each secret, bound to its account. Required.
	Sealer Sealer
	// Issuer names the service in authenticator apps, such as the XMPP
	// domain. Required.
	Issuer string
	// Domain is added to the account in the enrolment URI's label
	// (juliet@example.org); "" uses Issuer.
	Domain string
	// Digits is the code length of new enrolments, 6 or 8; 0 means 6.
	Digits int
	// MaxFailures is the number of consecutive failures that locks the
	// factor; 0, or anything above 100, means 100.
	MaxFailures int
	// Backoff is the delay imposed after the third consecutive failure,
	// doubling with each further one up to MaxBackoff; 0 means one
	// second, and 0 MaxBackoff fifteen minutes.
	Backoff, MaxBackoff time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the source of secrets and ids; nil means crypto/rand.
	Rand io.Reader
}

// TOTP is the MFA-TOTP factor (RFC 6238): enrolment, verification with
// one step of skew either way, each step accepted once, and rate
// limiting. It is safe for concurrent use.
type TOTP struct {
	cfg TOTPConfig
}

// NewTOTP returns the TOTP factor for cfg. It fails when a required
// field is missing or Digits is not 6 or 8.
func NewTOTP(cfg TOTPConfig) (*TOTP, error) {
	switch {
	case cfg.Store == nil || cfg.Sealer == nil || cfg.Issuer == "":
		return nil, errors.New("mfa: TOTP needs a store, a sealer and an issuer")
	case cfg.Digits == 0:
		cfg.Digits = 6
	case cfg.Digits != 6 && cfg.Digits != 8:
		return nil, errors.New("mfa: TOTP codes have 6 or 8 digits")
	}
	if cfg.MaxFailures <= 0 || cfg.MaxFailures > maxFailures {
		cfg.MaxFailures = maxFailures
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 15 * time.Minute
	}
	if cfg.Domain == "" {
		cfg.Domain = cfg.Issuer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &TOTP{cfg: cfg}, nil
}

// Name implements Factor: it returns TaskTOTP.
func (*TOTP) Name() string { return TaskTOTP }

// Enrolled implements Factor: a pending enrolment does not count.
func (t *TOTP) Enrolled(ctx context.Context, account string) (bool, error) {
	r, err := t.cfg.Store.TOTP(ctx, account)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return r.Active, nil
}

// List implements Factor.
func (t *TOTP) List(ctx context.Context, account string) ([]FactorInfo, error) {
	r, err := t.cfg.Store.TOTP(ctx, account)
	if errors.Is(err, ErrNotFound) || err == nil && !r.Active {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []FactorInfo{{Type: TypeTOTP, ID: TypeTOTP, Created: r.Created,
		LastUsed: r.LastUsed, Remaining: -1}}, nil
}

// TOTPSetup is a pending TOTP enrolment as the user needs it: the
// enrolment URI and the secret in it. Both are secret; show them to the
// account's owner only.
type TOTPSetup struct {
	// URI is the otpauth:// URI that authenticator apps read.
	URI string
	// Secret is the secret in base32, for typing in by hand.
	Secret string
}

// Image returns the QR code of the URI, size pixels square.
func (s *TOTPSetup) Image(size int) (image.Image, error) {
	k, err := otp.NewKeyFromURL(s.URI)
	if err != nil {
		return nil, fmt.Errorf("mfa: reading the enrolment URI: %w", err)
	}
	img, err := k.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("mfa: drawing the QR code: %w", err)
	}
	return img, nil
}

// PNG returns the QR code of the URI as a PNG, size pixels square.
func (s *TOTPSetup) PNG(size int) ([]byte, error) {
	img, err := s.Image(size)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("mfa: encoding the QR code: %w", err)
	}
	return b.Bytes(), nil
}

// Element returns the <enrol type='totp'> result of docs/mfa.md §6.2,
// with a QR code of qrSize pixels, or none when qrSize is 0.
func (s *TOTPSetup) Element(qrSize int) (sasl2.Element, error) {
	e := &TOTPEnrolled{URI: s.URI}
	if qrSize > 0 {
		p, err := s.PNG(qrSize)
		if err != nil {
			return sasl2.Element{}, err
		}
		e.PNG = p
	}
	return e.Element(), nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Enrol begins a TOTP enrolment for account: a new secret, stored sealed
// and pending. The factor becomes active, and is offered at login, only
// once Confirm saw a valid code. A new Enrol replaces a pending
// enrolment; it fails with ErrConflict when the account has an active
// one, which must be removed first.
func (t *TOTP) Enrol(ctx context.Context, account string) (*TOTPSetup, error) {
	secret := make([]byte, secretSize)
	if _, err := io.ReadFull(t.cfg.Rand, secret); err != nil {
		return nil, fmt.Errorf("mfa: making a TOTP secret: %w", err)
	}
	id, err := randomID(t.cfg.Rand)
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      t.cfg.Issuer,
		AccountName: account + "@" + t.cfg.Domain,
		Secret:      secret,
		Digits:      otp.Digits(t.cfg.Digits),
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: making the enrolment URI: %w", err)
	}

	sealed, err := t.cfg.Sealer.Seal(secret, associated(TypeTOTP, account))
	if err != nil {
		return nil, fmt.Errorf("mfa: sealing a TOTP secret: %w", err)
	}
	err = t.cfg.Store.PutTOTP(ctx, &TOTPRecord{
		Account: account, ID: id, Sealed: sealed, Digits: t.cfg.Digits,
		Created: t.cfg.Now(),
	})
	if errors.Is(err, ErrConflict) {
		return nil, fmt.Errorf("mfa: TOTP already enrolled: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("mfa: storing a TOTP enrolment: %w", err)
	}
	return &TOTPSetup{URI: key.URL(), Secret: b32.EncodeToString(secret)}, nil
}

// Confirm activates the account's pending enrolment with a valid code,
// whose time step is used up. A wrong code fails as a task would (see
// Failed) and counts towards the lock; ErrNotFound means there is no
// pending enrolment.
func (t *TOTP) Confirm(ctx context.Context, account, code string) error {
	r, err := t.cfg.Store.TOTP(ctx, account)
	if errors.Is(err, ErrNotFound) || err == nil && r.Active {
		return fmt.Errorf("mfa: no pending TOTP enrolment: %w", ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("mfa: reading a TOTP enrolment: %w", err)
	}
	now := t.cfg.Now()
	step, err := t.check(ctx, r, code, now)
	if err != nil {
		return err
	}
	err = t.cfg.Store.ActivateTOTP(ctx, account, r.ID, step, now)
	if errors.Is(err, ErrConflict) {
		return Failed(fmt.Errorf("%w: enrolment replaced", ErrReplayed))
	}
	if err != nil {
		return fmt.Errorf("mfa: activating a TOTP enrolment: %w", err)
	}
	return nil
}

// Remove deletes the account's enrolment, active or pending. The host
// must have checked a fresh step-up first (docs/mfa.md §6.5). It fails
// with ErrNotFound when there is none.
func (t *TOTP) Remove(ctx context.Context, account string) error {
	if err := t.cfg.Store.DeleteTOTP(ctx, account); err != nil {
		return fmt.Errorf("mfa: removing a TOTP enrolment: %w", err)
	}
	return nil
}

// Unlock clears the account's failure count, lifting a lock, for an
// administrator.
func (t *TOTP) Unlock(ctx context.Context, account string) error {
	if err := t.cfg.Store.UnlockTOTP(ctx, account); err != nil {
		return fmt.Errorf("mfa: unlocking TOTP: %w", err)
	}
	return nil
}

// delay returns how long after the latest attempt the next may come,
// given the consecutive failures so far.
func (t *TOTP) delay(failures int) time.Duration {
	if failures < freeFailures {
		return 0
	}
	d := t.cfg.Backoff
	for i := freeFailures; i < failures && d < t.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, t.cfg.MaxBackoff)
}

// check verifies code for the enrolment r at now and returns the time
// step it matched. The attempt is counted before the code is looked at,
// so that concurrent attempts cannot pass the lock; an attempt while
// locked or inside the backoff delay fails unchecked.
func (t *TOTP) check(ctx context.Context, r *TOTPRecord, code string, now time.Time) (int64, error) {
	if r.Failures >= t.cfg.MaxFailures {
		return 0, Failed(ErrLocked)
	}
	if d := t.delay(r.Failures); d > 0 && now.Before(r.LastAttempt.Add(d)) {
		return 0, Failed(ErrBackoff)
	}
	err := t.cfg.Store.ReserveTOTPAttempt(ctx, r.Account, r.Failures, now)
	if errors.Is(err, ErrConflict) {
		return 0, Failed(ErrBusy)
	}
	if err != nil {
		return 0, fmt.Errorf("mfa: counting a TOTP attempt: %w", err)
	}

	if len(code) != r.Digits || !isDigits(code) {
		return 0, Failed(ErrRejected)
	}
	secret, err := t.cfg.Sealer.Open(r.Sealed, associated(TypeTOTP, r.Account))
	if err != nil {
		return 0, fmt.Errorf("mfa: opening a TOTP secret: %w", err)
	}
	step, ok := match(secret, code, r.Digits, now)
	switch {
	case !ok:
		return 0, Failed(ErrRejected)
	case step <= r.LastStep:
		return 0, Failed(ErrReplayed)
	}
	return step, nil
}

// match returns the newest time step within Skew of now whose code is
// code (RFC 6238 §5.2), comparing in constant time.
func match(secret []byte, code string, digits int, now time.Time) (int64, bool) {
	key := b32.EncodeToString(secret)
	opts := hotp.ValidateOpts{
		Digits: otp.Digits(digits), Algorithm: otp.AlgorithmSHA1,
	}
	current := Step(now)
	for step := current + Skew; step >= current-Skew; step-- {
		if step < 0 {
			continue
		}
		ok, err := hotp.ValidateCustom(code, uint64(step), key, opts)
		if err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// Step returns the RFC 6238 time step of t: whole periods since the Unix
// epoch.
func Step(t time.Time) int64 {
	s := t.Unix()
	p := int64(Period / time.Second)
	if s < 0 {
		return (s - p + 1) / p
	}
	return s / p
}

// Task implements Factor.
func (t *TOTP) Task() sasl2.Task { return &totpTask{t: t} }

// totpTask is one run of MFA-TOTP: one code, in <next> or after a
// prompt.
type totpTask struct {
	t        *TOTP
	account  string
	prompted bool
}

func (*totpTask) Name() string { return TaskTOTP }

func (k *totpTask) Start(ctx context.Context, r *sasl2.Result, payload []sasl2.Element) (sasl2.TaskStep, error) {
	k.account = r.User
	el, err := Optional(payload, ElemTOTP)
	if err != nil {
		return sasl2.TaskStep{}, Failed(err)
	}
	if el != nil && (el.Text != "" || len(el.Children) > 0) {
		return k.verify(ctx, el)
	}

	rec, err := k.record(ctx)
	if err != nil {
		return sasl2.TaskStep{}, err
	}
	k.prompted = true
	return sasl2.TaskStep{Data: []sasl2.Element{TOTPPrompt(rec.Digits)}}, nil
}

func (k *totpTask) Next(ctx context.Context, payload []sasl2.Element) (sasl2.TaskStep, error) {
	if !k.prompted {
		return sasl2.TaskStep{}, Failed(ErrMalformed)
	}
	k.prompted = false
	el, err := One(payload, ElemTOTP)
	if err != nil {
		return sasl2.TaskStep{}, Failed(err)
	}
	return k.verify(ctx, el)
}

// record reads the account's active enrolment.
func (k *totpTask) record(ctx context.Context) (*TOTPRecord, error) {
	rec, err := k.t.cfg.Store.TOTP(ctx, k.account)
	if errors.Is(err, ErrNotFound) || err == nil && !rec.Active {
		return nil, Failed(ErrNotEnrolled)
	}
	if err != nil {
		return nil, fmt.Errorf("mfa: reading a TOTP enrolment: %w", err)
	}
	return rec, nil
}

func (k *totpTask) verify(ctx context.Context, el *sasl2.Element) (sasl2.TaskStep, error) {
	c, err := code(el)
	if err != nil {
		return sasl2.TaskStep{}, Failed(err)
	}
	rec, err := k.record(ctx)
	if err != nil {
		return sasl2.TaskStep{}, err
	}
	now := k.t.cfg.Now()
	step, err := k.t.check(ctx, rec, c, now)
	if err != nil {
		return sasl2.TaskStep{}, err
	}

	// The step is used up in the same compare-and-set that accepts it:
	// of two logins with one code, one wins (RFC 6238 §5.2).
	err = k.t.cfg.Store.ConsumeTOTPStep(ctx, k.account, step, now)
	if errors.Is(err, ErrConflict) {
		return sasl2.TaskStep{}, Failed(ErrReplayed)
	}
	if err != nil {
		return sasl2.TaskStep{}, fmt.Errorf("mfa: recording a TOTP step: %w", err)
	}
	p := Passed{Task: TaskTOTP, Remaining: -1}
	return sasl2.TaskStep{Done: true, Result: []sasl2.Element{p.Element()}}, nil
}

// randomID returns 128 random bits in unpadded base64url.
func randomID(r io.Reader) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("mfa: making an id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
