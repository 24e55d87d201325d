package xmppclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// StanzaError is the error a server answered a request with (RFC 6120
// §8.3).
type StanzaError struct {
	// Type is "cancel", "modify", "auth" or "wait".
	Type string
	// Condition is the defined condition, such as "forbidden".
	Condition string
	// App is the application-specific condition, such as mfa's
	// step-up-required, or the zero Element.
	App  sasl2.Element
	Text string
}

// Error says which stanza error the server answered with.
func (e *StanzaError) Error() string {
	msg := "xmppclient: the server answered " + e.Condition
	if e.App.Name.Local != "" {
		msg += " (" + e.App.Name.Local + ")"
	}
	if e.Text != "" {
		msg += ": " + e.Text
	}
	return msg
}

// parseStanzaError reads the <error/> of an error stanza.
func parseStanzaError(s *xmlstream.Element) *StanzaError {
	out := &StanzaError{Condition: "undefined-condition"}
	e := s.Child(xmlstream.NSClient, "error")
	if e == nil {
		return out
	}
	out.Type = e.Attribute("type")
	for _, c := range e.Children() {
		switch {
		case c.Name.Space == xmlstream.NSStanzas && c.Name.Local == "text":
			out.Text = c.Text()
		case c.Name.Space == xmlstream.NSStanzas:
			out.Condition = c.Name.Local
		default:
			out.App = c.SASL2()
		}
	}
	return out
}

// IQ sends an iq of type typ ("get" or "set") with payload to the
// account itself, with no 'to', and returns the first child of the
// result, or nil for an empty one. An error answer is a *StanzaError.
// Messages and presence that arrive meanwhile are kept for Next, and
// requests answered as Next answers them. Like Next, IQ is for the one
// goroutine that reads.
func (s *Session) IQ(ctx context.Context, typ string, payload sasl2.Element) (*xmlstream.Element, error) {
	defer s.watch(ctx)()
	id := xmlstream.NewID()
	iq := xmlstream.NewElement(xmlstream.NSClient, "iq", "type", typ, "id", id).
		Add(xmlstream.FromSASL2(payload))
	if err := s.conn.Send(iq); err != nil {
		return nil, err
	}
	for {
		el, err := s.next()
		if err != nil {
			return nil, err
		}
		e, ok := el.(*xmlstream.Element)
		switch {
		case !ok || !xmlstream.IsStanza(e):
			continue
		case e.Name.Local != "iq":
			s.pending = append(s.pending, e)
			continue
		case e.Attribute("id") != id:
			s.answer(e)
			continue
		case e.Attribute("type") == "error":
			return nil, parseStanzaError(e)
		case e.Attribute("type") != "result":
			return nil, fmt.Errorf("xmppclient: iq %s answered with type %q", id, e.Attribute("type"))
		}
		if c := e.Children(); len(c) > 0 {
			return c[0], nil
		}
		return nil, nil
	}
}

// The second-factor management of docs/mfa.md §6, over IQ.

// IsStepUpRequired reports whether err is the server's refusal of an
// operation that needs a fresh step-up (docs/mfa.md §6.6): run StepUp,
// then try again.
func IsStepUpRequired(err error) bool {
	var se *StanzaError
	return errors.As(err, &se) && se.Condition == "forbidden" &&
		se.App.Name == mfa.StepUpRequired().Name
}

// Factors lists the account's enrolled second factors (§6.1).
func (s *Session) Factors(ctx context.Context) ([]mfa.FactorInfo, error) {
	r, err := s.IQ(ctx, "get", mfa.FactorsElement(nil))
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("xmppclient: empty factor listing")
	}
	return mfa.ParseFactors(r.SASL2())
}

// EnrolTOTP begins a TOTP enrolment (§6.2) and returns the otpauth://
// URI for the user's authenticator app. The URI holds the secret: show it
// to the user only. ConfirmTOTP with a code from the app completes it.
func (s *Session) EnrolTOTP(ctx context.Context) (string, error) {
	r, err := s.IQ(ctx, "set", (&mfa.Enrol{Type: mfa.TypeTOTP}).Element())
	if err != nil {
		return "", err
	}
	if r == nil || r.Child(mfa.NS, "uri") == nil || r.Child(mfa.NS, "uri").Text() == "" {
		return "", errors.New("xmppclient: the TOTP enrolment holds no URI")
	}
	return r.Child(mfa.NS, "uri").Text(), nil
}

// ConfirmTOTP proves the pending TOTP enrolment with a code (§6.2); the
// factor is then active, and asked for at every login but a FAST one.
func (s *Session) ConfirmTOTP(ctx context.Context, code string) error {
	c := &mfa.Confirm{Type: mfa.TypeTOTP,
		Proof: []sasl2.Element{mfa.Text(mfa.ElemTOTP, code)}}
	_, err := s.IQ(ctx, "set", c.Element())
	return err
}

// RecoveryCodes has the server generate a new set of recovery codes
// (§6.4) and returns them; they are shown once and never again.
// Replacing a set needs a fresh step-up (see IsStepUpRequired).
func (s *Session) RecoveryCodes(ctx context.Context) ([]string, error) {
	r, err := s.IQ(ctx, "set", (&mfa.Enrol{Type: mfa.TypeRecovery}).Element())
	if err != nil {
		return nil, err
	}
	var codes []string
	if r != nil {
		for _, c := range r.Children() {
			if c.Name.Space == mfa.NS && c.Name.Local == "code" && c.Text() != "" {
				codes = append(codes, c.Text())
			}
		}
	}
	if len(codes) == 0 {
		return nil, errors.New("xmppclient: the server sent no recovery codes")
	}
	return codes, nil
}

// RemoveFactor removes a factor by the type and id that Factors lists
// (§6.5). It needs a fresh step-up.
func (s *Session) RemoveFactor(ctx context.Context, typ, id string) error {
	_, err := s.IQ(ctx, "set", (&mfa.Remove{Type: typ, ID: id}).Element())
	return err
}

// StepUp proves a factor now (§6.5), running task over IQ as a login
// would run it: mfa.TOTPClient or mfa.RecoveryClient. A passed step-up
// holds for five minutes on this stream.
func (s *Session) StepUp(ctx context.Context, task sasl2.ClientTask) error {
	payload, err := task.Start(ctx)
	if err != nil {
		return err
	}
	req := mfa.StepUpElement(task.Name(), "", payload)
	for {
		r, err := s.IQ(ctx, "set", req)
		if err != nil {
			return err
		}
		if r == nil || r.Name.Space != mfa.NS || r.Name.Local != mfa.ElemStepUp {
			return errors.New("xmppclient: the step-up result is not <step-up/>")
		}
		switch mfa.StepUpStatus(r.Attribute("status")) {
		case mfa.StepUpPassed:
			return nil
		case mfa.StepUpContinue:
		default:
			return fmt.Errorf("xmppclient: step-up status %q", r.Attribute("status"))
		}
		var data []sasl2.Element
		for _, c := range r.Children() {
			data = append(data, c.SASL2())
		}
		if payload, err = task.Next(ctx, data); err != nil {
			return err
		}
		req = mfa.StepUpDataElement(payload)
	}
}
