package webauthn

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// Creation is a registration in progress as the client needs it: the
// options for navigator.credentials.create(). It holds no secret.
type Creation struct {
	// JSON is the PublicKeyCredentialCreationOptionsJSON of WebAuthn L3
	// §5.1.3, the text of <webauthn-creation>.
	JSON string
}

// Element returns the <enrol type='webauthn'> result of docs/mfa.md §6.3.
func (c *Creation) Element() sasl2.Element {
	return sasl2.Element{
		Name: xml.Name{Space: mfa.NS, Local: mfa.ElemEnrol},
		Attr: []xml.Attr{{Name: xml.Name{Local: "type"},
			Value: mfa.TypeWebAuthn}},
		Children: []sasl2.Element{
			mfa.Text(mfa.ElemWebAuthnCreation, c.JSON)},
	}
}

// Begin begins the registration of a credential for account, labelled
// name (which may be ""): it stores a ceremony with a fresh challenge and
// returns the creation options. The options ask for no attestation
// (docs/mfa.md §5.2) and exclude the account's credentials, so that an
// authenticator is not registered twice. The ceremony expires after
// Config.ChallengeTTL; Finish completes it. Begin fails with
// mfa.ErrMalformed when name is longer than mfa.MaxNameLen.
func (f *Factor) Begin(ctx context.Context, account, name string) (
	*Creation, error) {

	if len(name) > mfa.MaxNameLen {
		return nil, fmt.Errorf("webauthn: name too long: %w",
			mfa.ErrMalformed)
	}
	creds, err := f.cfg.Store.WebAuthnCredentials(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("webauthn: reading credentials: %w", err)
	}

	u := f.user(account, creds)
	exclude := gowebauthn.Credentials(u.creds).CredentialDescriptors()
	opts, session, err := f.rp.BeginRegistration(u,
		gowebauthn.WithExclusions(exclude))
	if err != nil {
		return nil, fmt.Errorf("webauthn: making creation options: %w",
			err)
	}
	text, err := json.Marshal(opts.Response)
	if err != nil {
		return nil, fmt.Errorf("webauthn: encoding creation options: %w",
			err)
	}
	c := &ceremony{Session: *session, Name: name}
	if _, err := f.put(ctx, account, kindRegister, c); err != nil {
		return nil, err
	}
	return &Creation{JSON: string(text)}, nil
}

// Finish completes a registration of account with response, the
// RegistrationResponseJSON of the client's <webauthn-attestation>. It
// finds the ceremony through the challenge the response quotes, uses it
// up whatever the outcome, verifies the response as WebAuthn L3 §7.1
// requires, stores the credential and returns its <factor/> entry.
//
// A response that does not verify fails as a task would (see mfa.Failed)
// and a malformed one with mfa.ErrMalformed; mfa.ErrNotFound means no
// registration of account is pending under that challenge, or it
// expired; mfa.ErrConflict means the credential is registered already,
// to this account or another.
func (f *Factor) Finish(ctx context.Context, account, response string) (
	*mfa.FactorInfo, error) {

	if response == "" || len(response) > MaxJSON {
		return nil, mfa.Failed(mfa.ErrMalformed)
	}
	resp, err := protocol.ParseCredentialCreationResponseBytes(
		[]byte(response))
	if err != nil {
		return nil, mfa.Failed(fmt.Errorf("%w: %w", mfa.ErrMalformed,
			libError(err)))
	}
	id := ceremonyID(resp.Response.CollectedClientData.Challenge)
	c, err := f.take(ctx, account, id, kindRegister)
	switch {
	case errors.Is(err, errGone), errors.Is(err, ErrExpired):
		return nil, fmt.Errorf("webauthn: no pending registration: %w (%w)",
			mfa.ErrNotFound, err)
	case err != nil:
		return nil, err
	}

	got, err := f.rp.CreateCredential(f.user(account, nil), c.Session, resp)
	if err != nil {
		return nil, rejected(libError(err))
	}
	cred := &mfa.WebAuthnCredential{
		Account:         account,
		ID:              got.ID,
		Name:            c.Name,
		PublicKey:       got.PublicKey,
		AttestationType: got.AttestationFormat,
		AAGUID:          got.Authenticator.AAGUID,
		SignCount:       got.Authenticator.SignCount,
		BackupEligible:  got.Flags.BackupEligible,
		BackupState:     got.Flags.BackupState,
		Created:         f.cfg.Now(),
	}
	for _, t := range got.Transport {
		cred.Transports = append(cred.Transports, string(t))
	}
	err = f.cfg.Store.AddWebAuthnCredential(ctx, cred)
	if errors.Is(err, mfa.ErrConflict) {
		return nil, fmt.Errorf("webauthn: credential registered already: %w",
			err)
	}
	if err != nil {
		return nil, fmt.Errorf("webauthn: storing a credential: %w", err)
	}
	fi := info(cred)
	return &fi, nil
}
