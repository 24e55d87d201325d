package sasl2

import (
	"encoding/xml"
	"errors"
)

// Condition is an RFC 6120 §6.5 SASL failure condition. XEP-0388 §2.5 allows
// no other.
type Condition string

// The RFC 6120 §6.5 conditions.
const (
	Aborted              Condition = "aborted"
	AccountDisabled      Condition = "account-disabled"
	CredentialsExpired   Condition = "credentials-expired"
	EncryptionRequired   Condition = "encryption-required"
	IncorrectEncoding    Condition = "incorrect-encoding"
	InvalidAuthzid       Condition = "invalid-authzid"
	InvalidMechanism     Condition = "invalid-mechanism"
	MalformedRequest     Condition = "malformed-request"
	MechanismTooWeak     Condition = "mechanism-too-weak"
	NotAuthorized        Condition = "not-authorized"
	TemporaryAuthFailure Condition = "temporary-auth-failure"
)

var conditions = map[Condition]bool{
	Aborted: true, AccountDisabled: true, CredentialsExpired: true,
	EncryptionRequired: true, IncorrectEncoding: true, InvalidAuthzid: true,
	InvalidMechanism: true, MalformedRequest: true, MechanismTooWeak: true,
	NotAuthorized: true, TemporaryAuthFailure: true,
}

// Failure is the <failure> element, and the error that mechanisms and tasks
// return to fail an authentication with a defined condition. Its Text goes
// on the wire: it must not tell an unknown user from a wrong password.
type Failure struct {
	Condition Condition
	Text      string
	// Extensions holds application-specific children.
	Extensions []Element
}

// Fail returns a *Failure with the condition and optional text.
func Fail(c Condition, text string) *Failure {
	return &Failure{Condition: c, Text: text}
}

// Error returns "sasl2: " and the condition, and the text if any.
func (f *Failure) Error() string {
	if f.Text != "" {
		return "sasl2: " + string(f.Condition) + ": " + f.Text
	}
	return "sasl2: " + string(f.Condition)
}

// Is reports whether target is a *Failure with the same condition, so that
// errors.Is(err, sasl2.Fail(sasl2.NotAuthorized, "")) works.
func (f *Failure) Is(target error) bool {
	t, ok := target.(*Failure)
	return ok && t.Condition == f.Condition
}

// failure turns any error from a mechanism, task or extension into what goes
// on the wire. Anything that is not a *Failure, a storage error say, fails
// closed as temporary-auth-failure with no text.
func failure(err error) *Failure {
	var f *Failure
	if errors.As(err, &f) && conditions[f.Condition] {
		return f
	}
	return Fail(TemporaryAuthFailure, "")
}

func (f *Failure) from(e Element) error {
	for _, c := range e.Children {
		switch {
		case c.Name.Space == NSConditions && f.Condition == "":
			f.Condition = Condition(c.Name.Local)
		case c.Name.Space == NS && c.Name.Local == "text":
			f.Text = c.Text
		case c.Name.Space != NSConditions:
			f.Extensions = append(f.Extensions, c)
		}
	}
	if f.Condition == "" {
		return malformed("failure without a condition")
	}
	return nil
}

func (f *Failure) element() Element {
	e := Element{Name: xml.Name{Space: NS, Local: "failure"}}
	e.Children = append(e.Children, Element{
		Name: xml.Name{Space: NSConditions, Local: string(f.Condition)},
	})
	e.Children = append(e.Children, f.Extensions...)
	if f.Text != "" {
		e.Children = append(e.Children, text("text", f.Text))
	}
	return e
}

// MarshalXML encodes f.
func (f *Failure) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(f.element())
}

// StreamError is returned by a state machine for input that no state allows:
// an element out of order, a stanza during authentication, a second
// <authenticate> after success. The host sends <stream:error> with the
// RFC 6120 §4.9.3 condition and closes the stream.
type StreamError struct {
	// Condition is an RFC 6120 stream error condition, such as
	// "policy-violation".
	Condition string
	// Text is for logs; it is not meant for the wire.
	Text string
}

// Error returns "sasl2: stream error: " and the condition and text.
func (e *StreamError) Error() string {
	return "sasl2: stream error: " + e.Condition + ": " + e.Text
}
