package webauthn

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// MaxJSON bounds the WebAuthn JSON a Factor reads from a client: the text
// of a <webauthn-assertion> or <webauthn-attestation>. Longer input fails
// unparsed, as malformed. It equals sasl2.MaxText, which already bounds
// what a SASL2 decoder accepts; the bound matters for the IQs of
// enrolment and step-up, whose decoding is the host's.
const MaxJSON = sasl2.MaxText

// DefaultChallengeTTL is how long a challenge stays usable when
// Config.ChallengeTTL is zero: the five minutes of docs/mfa.md §6.3.
const DefaultChallengeTTL = 5 * time.Minute

// UserVerification is the user-verification requirement of WebAuthn L3
// §5.8.6: whether the authenticator must check that the user is who
// registered (a PIN, a fingerprint), beyond their presence.
type UserVerification string

// The user-verification requirements.
const (
	// VerificationPreferred asks for user verification but accepts an
	// assertion without it.
	VerificationPreferred UserVerification = "preferred"
	// VerificationRequired fails an assertion or attestation without the
	// UV flag.
	VerificationRequired UserVerification = "required"
	// VerificationDiscouraged asks authenticators not to verify the user.
	VerificationDiscouraged UserVerification = "discouraged"
)

// Config configures a Factor. It must not change once the Factor uses
// it.
type Config struct {
	// RPID is the relying party id: a domain without scheme or port,
	// normally the XMPP domain (docs/mfa.md §4.5). Required.
	RPID string
	// RPDisplayName names the service in the authenticator's prompts;
	// "" uses RPID.
	RPDisplayName string
	// Origins lists the origins a client may run at, such as
	// "https://example.org"; clientDataJSON must name one of them.
	// Native clients use the origin the operator publishes for them.
	// Required.
	Origins []string
	// UserVerification is asked of authenticators and, when
	// VerificationRequired, enforced; "" means VerificationPreferred.
	UserVerification UserVerification
	// Store keeps the credentials and the ceremonies in progress.
	// Required.
	Store mfa.WebAuthnStore
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// ChallengeTTL is how long a login or registration challenge stays
	// usable; 0 means DefaultChallengeTTL.
	ChallengeTTL time.Duration
}

// Factor is the MFA-WEBAUTHN factor: registration of credentials and
// their assertion at login or step-up. It implements mfa.Factor and is
// safe for concurrent use.
type Factor struct {
	cfg Config
	rp  *gowebauthn.WebAuthn
}

// New returns the WebAuthn factor for cfg. It fails when a required field
// is missing, RPID is not a bare domain, or UserVerification is unknown.
func New(cfg Config) (*Factor, error) {
	switch {
	case cfg.Store == nil || cfg.RPID == "" || len(cfg.Origins) == 0:
		return nil, errors.New(
			"webauthn: a factor needs a store, an RP ID and origins")
	case protocol.ValidateRPID(cfg.RPID) != nil:
		return nil, fmt.Errorf(
			"webauthn: RP ID %q is not a domain without scheme or port",
			cfg.RPID)
	case cfg.UserVerification == "":
		cfg.UserVerification = VerificationPreferred
	case cfg.UserVerification != VerificationPreferred &&
		cfg.UserVerification != VerificationRequired &&
		cfg.UserVerification != VerificationDiscouraged:
		return nil, fmt.Errorf("webauthn: unknown user verification %q",
			cfg.UserVerification)
	}
	if cfg.RPDisplayName == "" {
		cfg.RPDisplayName = cfg.RPID
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ChallengeTTL <= 0 {
		cfg.ChallengeTTL = DefaultChallengeTTL
	}

	// Expiry is checked against cfg.Now when a ceremony is taken, so the
	// library's own wall-clock enforcement stays off.
	timeout := gowebauthn.TimeoutConfig{
		Timeout: cfg.ChallengeTTL, TimeoutUVD: cfg.ChallengeTTL,
	}
	rp, err := gowebauthn.New(&gowebauthn.Config{
		RPID:                  cfg.RPID,
		RPDisplayName:         cfg.RPDisplayName,
		RPOrigins:             cfg.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			UserVerification: protocol.UserVerificationRequirement(
				cfg.UserVerification),
		},
		Timeouts: gowebauthn.TimeoutsConfig{
			Login: timeout, Registration: timeout,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return &Factor{cfg: cfg, rp: rp}, nil
}

// Name implements mfa.Factor: it returns mfa.TaskWebAuthn.
func (*Factor) Name() string { return mfa.TaskWebAuthn }

// Enrolled implements mfa.Factor: an account is enrolled while it has a
// credential. A registration in progress does not count.
func (f *Factor) Enrolled(ctx context.Context, account string) (bool, error) {
	creds, err := f.cfg.Store.WebAuthnCredentials(ctx, account)
	if err != nil {
		return false, err
	}
	return len(creds) > 0, nil
}

// List implements mfa.Factor: one entry for each credential, its id in
// base64url.
func (f *Factor) List(ctx context.Context, account string) ([]mfa.FactorInfo, error) {
	creds, err := f.cfg.Store.WebAuthnCredentials(ctx, account)
	if err != nil {
		return nil, err
	}
	var out []mfa.FactorInfo
	for i := range creds {
		out = append(out, info(&creds[i]))
	}
	return out, nil
}

// info describes c for the listing of docs/mfa.md §6.1.
func info(c *mfa.WebAuthnCredential) mfa.FactorInfo {
	return mfa.FactorInfo{
		Type: mfa.TypeWebAuthn, ID: b64.EncodeToString(c.ID),
		Name: c.Name, Created: c.Created, LastUsed: c.LastUsed,
		Remaining: -1,
	}
}

// Remove deletes the account's credential whose id is id, in base64url
// as listed. The host must have checked a fresh step-up first
// (docs/mfa.md §6.5). It fails with mfa.ErrNotFound when the account has
// no such credential.
func (f *Factor) Remove(ctx context.Context, account, id string) error {
	raw, err := b64.DecodeString(id)
	if err != nil || len(raw) == 0 {
		return fmt.Errorf("webauthn: no credential %q: %w", id,
			mfa.ErrNotFound)
	}
	err = f.cfg.Store.RemoveWebAuthnCredential(ctx, account, raw)
	if err != nil {
		return fmt.Errorf("webauthn: removing a credential: %w", err)
	}
	return nil
}

// Task implements mfa.Factor.
func (f *Factor) Task() sasl2.Task { return &task{f: f} }

var b64 = base64.RawURLEncoding

// user is an account as go-webauthn sees it.
type user struct {
	handle      []byte
	name        string
	displayName string
	creds       []gowebauthn.Credential
}

func (u *user) WebAuthnID() []byte                           { return u.handle }
func (u *user) WebAuthnName() string                         { return u.name }
func (u *user) WebAuthnDisplayName() string                  { return u.displayName }
func (u *user) WebAuthnCredentials() []gowebauthn.Credential { return u.creds }

// BUG(webauthn): The user handle is derived from the RP ID and the
// account, since mfa.WebAuthnCredential has no place for a random one. It
// does not contain the account's name, but whoever can read it from an
// authenticator can check a guessed name against it.

// user returns account with its credentials creds.
func (f *Factor) user(account string, creds []mfa.WebAuthnCredential) *user {
	h := sha256.Sum256([]byte("xmppauth-webauthn-user\x00" + f.cfg.RPID +
		"\x00" + account))
	u := &user{handle: h[:], name: account + "@" + f.cfg.RPID,
		displayName: account}
	for i := range creds {
		u.creds = append(u.creds, credential(&creds[i]))
	}
	return u
}

// credential returns c as go-webauthn's credential record.
func credential(c *mfa.WebAuthnCredential) gowebauthn.Credential {
	var flags protocol.AuthenticatorFlags
	if c.BackupEligible {
		flags |= protocol.FlagBackupEligible
	}
	if c.BackupState {
		flags |= protocol.FlagBackupState
	}
	out := gowebauthn.Credential{
		ID:                c.ID,
		PublicKey:         c.PublicKey,
		AttestationFormat: c.AttestationType,
		Flags:             gowebauthn.NewCredentialFlags(flags),
		Authenticator: gowebauthn.Authenticator{
			AAGUID: c.AAGUID, SignCount: c.SignCount,
		},
	}
	for _, t := range c.Transports {
		out.Transport = append(out.Transport,
			protocol.AuthenticatorTransport(t))
	}
	return out
}
