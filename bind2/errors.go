package bind2

import (
	"encoding/xml"

	"github.com/xmppauth/xmppauth/sasl2"
)

// Stanza error conditions (RFC 6120 §8.3.3) that binding and stream
// management use most. Any other defined condition may be used by name.
const (
	BadRequest            = "bad-request"
	Conflict              = "conflict"
	FeatureNotImplemented = "feature-not-implemented"
	InternalServerError   = "internal-server-error"
	ItemNotFound          = "item-not-found"
	NotAllowed            = "not-allowed"
	PolicyViolation       = "policy-violation"
	ResourceConstraint    = "resource-constraint"
	UndefinedCondition    = "undefined-condition"
	UnexpectedRequest     = "unexpected-request"
)

// stanzaConditions is the set of RFC 6120 §8.3.3 conditions.
var stanzaConditions = map[string]bool{
	BadRequest: true, Conflict: true, FeatureNotImplemented: true,
	"forbidden": true, "gone": true, InternalServerError: true,
	ItemNotFound: true, "jid-malformed": true, "not-acceptable": true,
	NotAllowed: true, "not-authorized": true, PolicyViolation: true,
	"recipient-unavailable": true, "redirect": true,
	"registration-required": true, "remote-server-not-found": true,
	"remote-server-timeout": true, ResourceConstraint: true,
	"service-unavailable": true, "subscription-required": true,
	UndefinedCondition: true, UnexpectedRequest: true,
}

// errorTypes is the set of RFC 6120 §8.3.2 error types.
var errorTypes = map[string]bool{
	"auth": true, "cancel": true, "continue": true, "modify": true,
	"wait": true,
}

// StanzaError is an RFC 6120 §8.3 stanza error. A Bind hook returns one to
// say why binding failed, and the server sends it inside <failed
// xmlns='urn:xmpp:bind:0'>; a Resume hook returns one to say why
// resumption failed, and it goes into the XEP-0198 <failed/>.
type StanzaError struct {
	// Type is "auth", "cancel", "continue", "modify" or "wait"; anything
	// else is sent as "cancel".
	Type string
	// Condition is an RFC 6120 §8.3.3 condition, such as Conflict; anything
	// else is sent as UndefinedCondition.
	Condition string
	// Text goes on the wire in <text/>, or nothing when "". It must leak
	// nothing that the account's owner may not know.
	Text string
}

// Error returns "bind2: " and the condition, and the text if any.
func (e *StanzaError) Error() string {
	if e.Text != "" {
		return "bind2: " + e.Condition + ": " + e.Text
	}
	return "bind2: " + e.Condition
}

// condition returns the condition to send.
func (e *StanzaError) condition() string {
	if stanzaConditions[e.Condition] {
		return e.Condition
	}
	return UndefinedCondition
}

// element returns e as <error type='…'> in namespace space, holding the
// condition and the text.
func (e *StanzaError) element(space string) sasl2.Element {
	typ := e.Type
	if !errorTypes[typ] {
		typ = "cancel"
	}
	out := element(space, "error")
	out.Attr = []xml.Attr{attr("type", typ)}
	out.Children = e.conditions()
	return out
}

// conditions returns the defined condition and the text, as the children
// of a stanza <error/> or of an XEP-0198 <failed/>.
func (e *StanzaError) conditions() []sasl2.Element {
	out := []sasl2.Element{element(NSStanzas, e.condition())}
	if e.Text != "" {
		text := element(NSStanzas, "text")
		text.Text = e.Text
		out = append(out, text)
	}
	return out
}

// parseStanzaError reads a stanza <error/> in any namespace, or the
// children of an XEP-0198 <failed/> when e is one: the first element in
// NSStanzas that is not <text/> is the condition.
func parseStanzaError(e sasl2.Element) StanzaError {
	se := StanzaError{Type: e.Attribute("type")}
	for _, c := range e.Children {
		if c.Name.Space != NSStanzas {
			continue
		}
		switch {
		case c.Name.Local == "text":
			se.Text = c.Text
		case se.Condition == "":
			se.Condition = c.Name.Local
		}
	}
	if !stanzaConditions[se.Condition] {
		se.Condition = UndefinedCondition
	}
	return se
}
