package mfa

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/xmppauth/xmppauth/sasl2"
)

// NS is the namespace of every element of docs/mfa.md.
const NS = "urn:xmppauth:mfa:0"

// Task names (docs/mfa.md §1). Each is at most 20 characters, as
// XEP-0388 requires.
const (
	TaskTOTP     = "MFA-TOTP"
	TaskWebAuthn = "MFA-WEBAUTHN"
	TaskRecovery = "MFA-RECOVERY"
)

// Factor types, the type attribute of the enrolment protocol (docs/mfa.md
// §6).
const (
	TypeTOTP     = "totp"
	TypeWebAuthn = "webauthn"
	TypeRecovery = "recovery"
)

// Local names of the elements in NS.
const (
	ElemTOTP                = "totp"
	ElemRecovery            = "recovery"
	ElemWebAuthnRequest     = "webauthn-request"
	ElemWebAuthnAssertion   = "webauthn-assertion"
	ElemWebAuthnCreation    = "webauthn-creation"
	ElemWebAuthnAttestation = "webauthn-attestation"
	ElemPassed              = "passed"
	ElemFactors             = "factors"
	ElemFactor              = "factor"
	ElemEnrol               = "enrol"
	ElemConfirm             = "confirm"
	ElemRemove              = "remove"
	ElemStepUp              = "step-up"
	ElemStepUpData          = "step-up-data"
	ElemStepUpRequired      = "step-up-required"
)

// ErrMalformed reports an element of this namespace that does not follow
// docs/mfa.md. A server task turns it into malformed-request.
var ErrMalformed = errors.New("mfa: malformed element")

// MaxNameLen bounds a factor's name, the user's label for it.
const MaxNameLen = 64

func element(local string) sasl2.Element {
	return sasl2.Element{Name: xml.Name{Space: NS, Local: local}}
}

func attr(local, value string) xml.Attr {
	return xml.Attr{Name: xml.Name{Local: local}, Value: value}
}

// Text returns the element <local xmlns='urn:xmppauth:mfa:0'> holding s:
// a code, or the JSON of one of the WebAuthn elements. An empty s makes
// the empty element, a prompt for <totp/> and <recovery/>.
func Text(local, s string) sasl2.Element {
	e := element(local)
	e.Text = s
	return e
}

// One returns the only child of payload in NS, or ErrMalformed when there
// is none, more than one, or it is not named local. Children in other
// namespaces are ignored, as XEP-0388 payloads may carry extensions.
func One(payload []sasl2.Element, local string) (*sasl2.Element, error) {
	var found *sasl2.Element
	for i := range payload {
		if payload[i].Name.Space != NS {
			continue
		}
		if found != nil || payload[i].Name.Local != local {
			return nil, ErrMalformed
		}
		found = &payload[i]
	}
	if found == nil {
		return nil, ErrMalformed
	}
	return found, nil
}

// Optional is One for a payload that may also hold nothing in NS: it
// returns nil, nil then.
func Optional(payload []sasl2.Element, local string) (*sasl2.Element, error) {
	for _, e := range payload {
		if e.Name.Space == NS {
			return One(payload, local)
		}
	}
	return nil, nil
}

// TOTPPrompt returns the server's empty <totp/> asking for a code of the
// given number of digits.
func TOTPPrompt(digits int) sasl2.Element {
	e := element(ElemTOTP)
	e.Attr = []xml.Attr{attr("digits", strconv.Itoa(digits))}
	return e
}

// Passed is the task result <passed/> that a server puts in <success>.
type Passed struct {
	// Task is the task that passed.
	Task string
	// Remaining is the number of unused recovery codes, or -1 to leave
	// the attribute out.
	Remaining int
}

// Element returns p as <passed/>.
func (p *Passed) Element() sasl2.Element {
	e := element(ElemPassed)
	e.Attr = []xml.Attr{attr("task", p.Task)}
	if p.Remaining >= 0 {
		e.Attr = append(e.Attr, attr("remaining", strconv.Itoa(p.Remaining)))
	}
	return e
}

// ParsePassed returns the <passed/> results among the children of a
// <success>, skipping those without a task.
func ParsePassed(children []sasl2.Element) []Passed {
	var out []Passed
	for _, c := range children {
		if c.Name.Space != NS || c.Name.Local != ElemPassed {
			continue
		}
		p := Passed{Task: c.Attribute("task"), Remaining: -1}
		if n, err := strconv.Atoi(c.Attribute("remaining")); err == nil &&
			n >= 0 && isDigits(c.Attribute("remaining")) {
			p.Remaining = n
		}
		if p.Task != "" {
			out = append(out, p)
		}
	}
	return out
}

// FactorInfo describes one enrolled factor, the <factor/> of the listing
// (docs/mfa.md §6.1). It holds no secret.
type FactorInfo struct {
	// Type is TypeTOTP, TypeWebAuthn or TypeRecovery.
	Type string
	// ID is "totp", "recovery", or the base64url credential id.
	ID string
	// Name is the user's label, or "".
	Name string
	// Created and LastUsed are zero when unknown.
	Created, LastUsed time.Time
	// Remaining is the number of unused recovery codes, -1 for other
	// types.
	Remaining int
}

// Element returns f as <factor/>.
func (f *FactorInfo) Element() sasl2.Element {
	e := element(ElemFactor)
	e.Attr = []xml.Attr{attr("type", f.Type), attr("id", f.ID)}
	if f.Name != "" {
		e.Attr = append(e.Attr, attr("name", f.Name))
	}
	if !f.Created.IsZero() {
		e.Attr = append(e.Attr, attr("created", stamp(f.Created)))
	}
	if !f.LastUsed.IsZero() {
		e.Attr = append(e.Attr, attr("last-used", stamp(f.LastUsed)))
	}
	if f.Remaining >= 0 && f.Type == TypeRecovery {
		e.Attr = append(e.Attr,
			attr("remaining", strconv.Itoa(f.Remaining)))
	}
	return e
}

// FactorsElement returns the listing <factors/> holding list.
func FactorsElement(list []FactorInfo) sasl2.Element {
	e := element(ElemFactors)
	for i := range list {
		e.Children = append(e.Children, list[i].Element())
	}
	return e
}

// ParseFactors reads a listing <factors/>. Entries without a type or id
// are skipped; unreadable dates are left zero.
func ParseFactors(e sasl2.Element) ([]FactorInfo, error) {
	if e.Name.Space != NS || e.Name.Local != ElemFactors {
		return nil, ErrMalformed
	}
	var out []FactorInfo
	for _, c := range e.Children {
		if c.Name.Space != NS || c.Name.Local != ElemFactor {
			continue
		}
		f := FactorInfo{Type: c.Attribute("type"), ID: c.Attribute("id"),
			Name: c.Attribute("name"), Remaining: -1}
		if f.Type == "" || f.ID == "" {
			continue
		}
		f.Created, _ = time.Parse(time.RFC3339, c.Attribute("created"))
		f.LastUsed, _ = time.Parse(time.RFC3339, c.Attribute("last-used"))
		if s := c.Attribute("remaining"); isDigits(s) && len(s) < 10 {
			f.Remaining, _ = strconv.Atoi(s)
		}
		out = append(out, f)
	}
	return out, nil
}

// stamp formats t as an XEP-0082 DateTime in UTC.
func stamp(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// Enrol is the client's <enrol/> (docs/mfa.md §6).
type Enrol struct {
	// Type is the factor to enrol.
	Type string
	// Name is the user's label for a WebAuthn credential, or "".
	Name string
}

// Element returns e as <enrol/>.
func (e *Enrol) Element() sasl2.Element {
	el := element(ElemEnrol)
	el.Attr = []xml.Attr{attr("type", e.Type)}
	if e.Name != "" {
		el.Attr = append(el.Attr, attr("name", e.Name))
	}
	return el
}

// ParseEnrol reads an <enrol/> request. It fails with ErrMalformed on an
// unknown type or a name over MaxNameLen.
func ParseEnrol(e sasl2.Element) (*Enrol, error) {
	if e.Name.Space != NS || e.Name.Local != ElemEnrol {
		return nil, ErrMalformed
	}
	out := &Enrol{Type: e.Attribute("type"), Name: e.Attribute("name")}
	if !knownType(out.Type) || len(out.Name) > MaxNameLen {
		return nil, ErrMalformed
	}
	return out, nil
}

// TOTPEnrolled is the result of a TOTP <enrol/>: the enrolment URI and,
// when not nil, a PNG of its QR code.
type TOTPEnrolled struct {
	URI string
	PNG []byte
}

// Element returns t as the <enrol type='totp'> result.
func (t *TOTPEnrolled) Element() sasl2.Element {
	e := element(ElemEnrol)
	e.Attr = []xml.Attr{attr("type", TypeTOTP)}
	e.Children = []sasl2.Element{Text("uri", t.URI)}
	if t.PNG != nil {
		qr := Text("qr", base64.StdEncoding.EncodeToString(t.PNG))
		qr.Attr = []xml.Attr{attr("type", "image/png")}
		e.Children = append(e.Children, qr)
	}
	return e
}

// RecoveryEnrolled returns the <enrol type='recovery'> result holding the
// new codes. The codes are secret: the element is for the account's owner
// only.
func RecoveryEnrolled(codes []string) sasl2.Element {
	e := element(ElemEnrol)
	e.Attr = []xml.Attr{attr("type", TypeRecovery)}
	for _, c := range codes {
		e.Children = append(e.Children, Text("code", c))
	}
	return e
}

// Confirm is the client's <confirm/>: it proves a pending enrolment.
type Confirm struct {
	Type string
	// Proof holds the <totp> or <webauthn-attestation> child.
	Proof []sasl2.Element
}

// Element returns c as <confirm/>.
func (c *Confirm) Element() sasl2.Element {
	e := element(ElemConfirm)
	e.Attr = []xml.Attr{attr("type", c.Type)}
	e.Children = c.Proof
	return e
}

// ParseConfirm reads a <confirm/> request.
func ParseConfirm(e sasl2.Element) (*Confirm, error) {
	if e.Name.Space != NS || e.Name.Local != ElemConfirm ||
		!knownType(e.Attribute("type")) {
		return nil, ErrMalformed
	}
	return &Confirm{Type: e.Attribute("type"), Proof: e.Children}, nil
}

// Remove is the client's <remove/>. It needs a fresh step-up.
type Remove struct {
	Type string
	// ID is the factor's id as listed: "totp", "recovery" or a
	// credential id.
	ID string
}

// Element returns r as <remove/>.
func (r *Remove) Element() sasl2.Element {
	e := element(ElemRemove)
	e.Attr = []xml.Attr{attr("type", r.Type), attr("id", r.ID)}
	return e
}

// ParseRemove reads a <remove/> request.
func ParseRemove(e sasl2.Element) (*Remove, error) {
	r := &Remove{Type: e.Attribute("type"), ID: e.Attribute("id")}
	if e.Name.Space != NS || e.Name.Local != ElemRemove ||
		!knownType(r.Type) || r.ID == "" {
		return nil, ErrMalformed
	}
	return r, nil
}

// StepUpStatus is the status attribute of a <step-up/> result.
type StepUpStatus string

// The statuses of a step-up result.
const (
	StepUpContinue StepUpStatus = "continue"
	StepUpPassed   StepUpStatus = "passed"
)

// StepUpElement returns a <step-up/>: the client's request when status is
// "", with payload as <next> would carry it, or the server's result.
func StepUpElement(task string, status StepUpStatus, payload []sasl2.Element) sasl2.Element {
	e := element(ElemStepUp)
	e.Attr = []xml.Attr{attr("task", task)}
	if status != "" {
		e.Attr = append(e.Attr, attr("status", string(status)))
	}
	e.Children = payload
	return e
}

// StepUpDataElement returns the client's <step-up-data/> carrying payload
// as <task-data> would.
func StepUpDataElement(payload []sasl2.Element) sasl2.Element {
	e := element(ElemStepUpData)
	e.Children = payload
	return e
}

// StepUpRequired returns the application condition
// <step-up-required xmlns='urn:xmppauth:mfa:0'/> that goes beside
// <forbidden/> in a stanza error.
func StepUpRequired() sasl2.Element { return element(ElemStepUpRequired) }

func knownType(t string) bool {
	return t == TypeTOTP || t == TypeWebAuthn || t == TypeRecovery
}

// isDigits reports whether s is non-empty and all ASCII digits: no sign,
// no space, no other script's digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// code returns the trimmed text of a <totp> or <recovery>, or
// ErrMalformed when e is absent or too long to be a code.
func code(e *sasl2.Element) (string, error) {
	if e == nil || len(e.Children) > 0 {
		return "", ErrMalformed
	}
	s := strings.Trim(e.Text, " \t\r\n")
	if s == "" || len(s) > 64 {
		return "", ErrMalformed
	}
	return s, nil
}
