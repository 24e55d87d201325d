package webauthn

import (
	"context"
	"errors"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// Authenticator asks the user's authenticator for an assertion, as
// navigator.credentials.get() does in a browser. request is the
// PublicKeyCredentialRequestOptionsJSON the server sent; the result is
// the AuthenticationResponseJSON (WebAuthn L3 §5.1.4), as
// PublicKeyCredential.toJSON() returns it. It may block until the user
// answers and should give up when ctx is done. An error aborts the
// authentication.
type Authenticator func(ctx context.Context, request string) (
	assertion string, err error)

// Client returns the client side of MFA-WEBAUTHN: it starts the task with
// an empty <next>, hands each <webauthn-request> to auth and sends what
// it returns. The task may serve one authentication at a time.
func Client(auth Authenticator) sasl2.ClientTask {
	return &client{auth: auth}
}

type client struct {
	auth Authenticator
}

func (*client) Name() string { return mfa.TaskWebAuthn }

// Start returns the empty payload of <next>: the server speaks first.
func (*client) Start(context.Context) ([]sasl2.Element, error) {
	return nil, nil
}

// Next answers the server's request options with an assertion.
func (c *client) Next(ctx context.Context, payload []sasl2.Element) ([]sasl2.Element, error) {
	req, err := mfa.One(payload, mfa.ElemWebAuthnRequest)
	if err != nil || req.Text == "" || len(req.Children) > 0 {
		return nil, errors.New(
			"webauthn: unexpected task data from the server")
	}
	a, err := c.auth(ctx, req.Text)
	if err != nil {
		return nil, err
	}
	if a == "" {
		return nil, errors.New("webauthn: the authenticator gave nothing")
	}
	return []sasl2.Element{mfa.Text(mfa.ElemWebAuthnAssertion, a)}, nil
}
