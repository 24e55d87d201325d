package webauthn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// task is one run of MFA-WEBAUTHN (docs/mfa.md §4.5): request options
// with a fresh challenge, then one assertion.
type task struct {
	f       *Factor
	account string
	// id names the ceremony sent and not yet answered, or is "".
	id string
}

func (*task) Name() string { return mfa.TaskWebAuthn }

// Start answers <next> with request options. <next> carries nothing of
// this task: children in other namespaces are ignored, and one in
// mfa.NS is malformed (docs/mfa.md §4.2).
func (k *task) Start(ctx context.Context, r *sasl2.Result, payload []sasl2.Element) (sasl2.TaskStep, error) {
	k.account = r.User
	for _, e := range payload {
		if e.Name.Space == mfa.NS {
			return sasl2.TaskStep{}, mfa.Failed(mfa.ErrMalformed)
		}
	}

	creds, err := k.f.cfg.Store.WebAuthnCredentials(ctx, k.account)
	if err != nil {
		return sasl2.TaskStep{}, fmt.Errorf(
			"webauthn: reading credentials: %w", err)
	}
	if len(creds) == 0 {
		return sasl2.TaskStep{}, mfa.Failed(mfa.ErrNotEnrolled)
	}

	// go-webauthn draws the challenge, 256 bits, from crypto/rand, and
	// lists every credential of the account in allowCredentials.
	u := k.f.user(k.account, creds)
	opts, session, err := k.f.rp.BeginLogin(u)
	if err != nil {
		return sasl2.TaskStep{}, fmt.Errorf(
			"webauthn: making request options: %w", err)
	}
	text, err := json.Marshal(opts.Response)
	if err != nil {
		return sasl2.TaskStep{}, fmt.Errorf(
			"webauthn: encoding request options: %w", err)
	}
	id, err := k.f.put(ctx, k.account, kindLogin,
		&ceremony{Session: *session})
	if err != nil {
		return sasl2.TaskStep{}, err
	}
	k.id = id
	req := mfa.Text(mfa.ElemWebAuthnRequest, string(text))
	return sasl2.TaskStep{Data: []sasl2.Element{req}}, nil
}

// Next verifies the assertion. The challenge is used up first, so that
// whatever the client sent, a retry needs a new authentication
// (WebAuthn L2 §13.4.3: challenges are single use).
func (k *task) Next(ctx context.Context, payload []sasl2.Element) (sasl2.TaskStep, error) {
	if k.id == "" {
		return sasl2.TaskStep{}, mfa.Failed(mfa.ErrMalformed)
	}
	id := k.id
	k.id = ""
	c, err := k.f.take(ctx, k.account, id, kindLogin)
	switch {
	case errors.Is(err, errGone):
		return sasl2.TaskStep{}, mfa.Failed(
			fmt.Errorf("%w: %w", mfa.ErrReplayed, err))
	case errors.Is(err, ErrExpired):
		return sasl2.TaskStep{}, mfa.Failed(
			fmt.Errorf("%w: %w", mfa.ErrRejected, err))
	case err != nil:
		return sasl2.TaskStep{}, err
	}

	el, err := mfa.One(payload, mfa.ElemWebAuthnAssertion)
	if err != nil {
		return sasl2.TaskStep{}, mfa.Failed(err)
	}
	if err := k.f.verify(ctx, k.account, c, el); err != nil {
		return sasl2.TaskStep{}, err
	}
	p := mfa.Passed{Task: mfa.TaskWebAuthn, Remaining: -1}
	return sasl2.TaskStep{Done: true,
		Result: []sasl2.Element{p.Element()}}, nil
}

// jsonText returns the JSON text of a WebAuthn element, or ErrMalformed
// when it is empty, too long or has children.
func jsonText(el *sasl2.Element) ([]byte, error) {
	if len(el.Children) > 0 || el.Text == "" || len(el.Text) > MaxJSON {
		return nil, mfa.ErrMalformed
	}
	return []byte(el.Text), nil
}

// libError returns an error of go-webauthn with its debugging detail,
// which tells which check failed. The detail may quote the client, so it
// is quoted in turn.
func libError(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		return fmt.Errorf("webauthn: %w: %q", err, pe.DevInfo)
	}
	return fmt.Errorf("webauthn: %w", err)
}

// rejected returns the failure of an assertion or attestation that did
// not verify, with the reason for the host's logs.
func rejected(why error) error {
	return mfa.Failed(fmt.Errorf("%w: %w", mfa.ErrRejected, why))
}

// verify checks the assertion in el against the ceremony c of account,
// as WebAuthn L3 §7.2 requires, and records the new counter.
func (f *Factor) verify(ctx context.Context, account string, c *ceremony,
	el *sasl2.Element) error {

	text, err := jsonText(el)
	if err != nil {
		return mfa.Failed(err)
	}
	resp, err := protocol.ParseCredentialRequestResponseBytes(text)
	if err != nil {
		return mfa.Failed(fmt.Errorf("%w: %w", mfa.ErrMalformed,
			libError(err)))
	}

	// The credential is one of the account's.
	creds, err := f.cfg.Store.WebAuthnCredentials(ctx, account)
	if err != nil {
		return fmt.Errorf("webauthn: reading credentials: %w", err)
	}
	i := -1
	for j := range creds {
		if bytes.Equal(creds[j].ID, resp.RawID) {
			i = j
		}
	}
	if i < 0 {
		return rejected(errors.New("webauthn: unknown credential"))
	}
	stored := &creds[i]

	// The rest of L3 §7.2 by go-webauthn: client data type, challenge
	// and origin, RP ID hash, UP, UV when required, the signature, and
	// the backup flags against the stored record. It reports a counter
	// that did not increase only as a warning, which fails here.
	got, err := f.rp.ValidateLogin(f.user(account, creds), c.Session, resp)
	if err != nil {
		return rejected(libError(err))
	}
	if got.Authenticator.CloneWarning {
		return rejected(ErrCloned)
	}
	data := &resp.Response.AuthenticatorData
	if err := f.policy(stored, data); err != nil {
		return err
	}

	// The counter moves by compare-and-set from the value just checked:
	// of two assertions that raced past the check, one fails here.
	err = f.cfg.Store.UseWebAuthnCredential(ctx, account, stored.ID,
		stored.SignCount, data.Counter, data.Flags.HasBackupState(),
		f.cfg.Now())
	switch {
	case errors.Is(err, mfa.ErrConflict):
		return mfa.Failed(fmt.Errorf(
			"%w: counter changed concurrently", mfa.ErrReplayed))
	case errors.Is(err, mfa.ErrNotFound):
		return mfa.Failed(fmt.Errorf(
			"%w: credential removed", mfa.ErrNotEnrolled))
	case err != nil:
		return fmt.Errorf("webauthn: recording an assertion: %w", err)
	}
	return nil
}

// errBackupFlags: the assertion has the backup state flag without backup
// eligibility, or its backup eligibility differs from the value stored at
// registration (WebAuthn L3 §6.1.3). go-webauthn finds both first.
var errBackupFlags = errors.New("webauthn: inconsistent backup flags")

// policy makes the checks of docs/mfa.md §4.5 on the flags and counter
// of an assertion whose signature verified under stored. go-webauthn
// makes most of them too; they are repeated here so that what this
// package promises does not rest on another's defaults.
func (f *Factor) policy(stored *mfa.WebAuthnCredential,
	data *protocol.AuthenticatorData) error {

	flags := data.Flags
	switch {
	case !flags.HasUserPresent():
		return rejected(errors.New("webauthn: user not present"))
	case f.cfg.UserVerification == VerificationRequired &&
		!flags.HasUserVerified():
		return rejected(errors.New("webauthn: user not verified"))
	// L3 §6.1.3: BS without BE is invalid, and BE is fixed for the
	// lifetime of a credential.
	case flags.HasBackupState() && !flags.HasBackupEligible(),
		flags.HasBackupEligible() != stored.BackupEligible:
		return rejected(errBackupFlags)
	}

	// L2 §7.2 step 21: if either counter is non-zero, the new one must
	// be greater; an authenticator without a counter sends 0 each time.
	n, s := data.Counter, stored.SignCount
	if (n != 0 || s != 0) && n <= s {
		return rejected(ErrCloned)
	}
	return nil
}
