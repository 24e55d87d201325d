package mfa

import (
	"context"
	"errors"

	"github.com/xmppauth/xmppauth/sasl2"
)

// Prompt asks the user for a code. It may block until the user answers
// and should give up when ctx is done. An error aborts the
// authentication.
type Prompt func(ctx context.Context) (string, error)

// TOTPClient returns the client side of MFA-TOTP. It asks prompt for the
// code when the server offers the task and sends it in <next>; should
// the server prompt again, it asks again. The task may serve one
// authentication at a time.
func TOTPClient(prompt Prompt) sasl2.ClientTask {
	return &codeClient{name: TaskTOTP, local: ElemTOTP, prompt: prompt}
}

// RecoveryClient returns the client side of MFA-RECOVERY, which sends a
// recovery code that prompt returns. Offer it after the other factors in
// sasl2.ClientConfig.Tasks, which picks the first one the server offers.
func RecoveryClient(prompt Prompt) sasl2.ClientTask {
	return &codeClient{name: TaskRecovery, local: ElemRecovery, prompt: prompt}
}

// codeClient sends a code that the user types.
type codeClient struct {
	name, local string
	prompt      Prompt
}

func (c *codeClient) Name() string { return c.name }

func (c *codeClient) Start(ctx context.Context) ([]sasl2.Element, error) {
	return c.answer(ctx)
}

// Next answers the server's prompt, an empty element of the task's kind.
func (c *codeClient) Next(ctx context.Context, payload []sasl2.Element) ([]sasl2.Element, error) {
	if _, err := One(payload, c.local); err != nil {
		return nil, errors.New("mfa: unexpected task data from the server")
	}
	return c.answer(ctx)
}

func (c *codeClient) answer(ctx context.Context) ([]sasl2.Element, error) {
	code, err := c.prompt(ctx)
	if err != nil {
		return nil, err
	}
	if code == "" {
		return nil, errors.New("mfa: no code given")
	}
	return []sasl2.Element{Text(c.local, code)}, nil
}
