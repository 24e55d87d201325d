package webauthn

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	gowebauthn "github.com/go-webauthn/webauthn/webauthn"

	"github.com/xmppauth/xmppauth/mfa"
)

// Kinds of ceremony, the Kind of an mfa.WebAuthnChallenge.
const (
	kindLogin    = "login"
	kindRegister = "register"
)

// ceremony is what the Data of an mfa.WebAuthnChallenge holds.
type ceremony struct {
	// Session is go-webauthn's state: the challenge, the allowed
	// credentials, the user handle and the user-verification policy.
	Session gowebauthn.SessionData `json:"session"`
	// Name is the label of the credential being registered.
	Name string `json:"name,omitempty"`
}

// ceremonyID returns the id under which the ceremony of challenge, in
// base64url, is stored. It is not secret: the challenge is sent in the
// clear. A registration finds its ceremony again through the challenge
// that clientDataJSON quotes; a login task remembers the id.
func ceremonyID(challenge string) string {
	h := sha256.Sum256([]byte("xmppauth-webauthn-ceremony\x00" + challenge))
	return b64.EncodeToString(h[:16])
}

// put stores the ceremony c of account, usable for the configured TTL,
// and returns its id.
func (f *Factor) put(ctx context.Context, account, kind string,
	c *ceremony) (string, error) {

	data, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("webauthn: recording a ceremony: %w", err)
	}
	id := ceremonyID(c.Session.Challenge)
	err = f.cfg.Store.PutWebAuthnChallenge(ctx, &mfa.WebAuthnChallenge{
		ID: id, Account: account, Kind: kind, Data: data,
		Expiry: f.cfg.Now().Add(f.cfg.ChallengeTTL),
	})
	if err != nil {
		return "", fmt.Errorf("webauthn: storing a challenge: %w", err)
	}
	return id, nil
}

// errGone reports a ceremony that the store no longer holds, or that is
// of the wrong kind; either way it is used up now.
var errGone = errors.New("webauthn: no such challenge")

// take removes the account's ceremony id of the given kind from the
// store and returns it. Of concurrent takes one gets it; the others, and
// any later one, fail with errGone. A ceremony past its expiry is taken
// all the same and fails with ErrExpired.
func (f *Factor) take(ctx context.Context, account, id, kind string) (
	*ceremony, error) {

	c, err := f.cfg.Store.TakeWebAuthnChallenge(ctx, account, id)
	switch {
	case errors.Is(err, mfa.ErrNotFound):
		return nil, errGone
	case err != nil:
		return nil, fmt.Errorf("webauthn: taking a challenge: %w", err)
	case c.Kind != kind || c.Account != account:
		return nil, errGone
	case !f.cfg.Now().Before(c.Expiry):
		return nil, ErrExpired
	}

	var out ceremony
	if json.Unmarshal(c.Data, &out) != nil || out.Session.Challenge == "" {
		return nil, errors.New("webauthn: a stored ceremony is unreadable")
	}
	return &out, nil
}
