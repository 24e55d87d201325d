package sasl2

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// Namespaces used on the wire.
const (
	// NS is the namespace of XEP-0388 elements.
	NS = "urn:xmpp:sasl:2"
	// NSConditions is the namespace of RFC 6120 §6.5 failure conditions.
	NSConditions = "urn:ietf:params:xml:ns:xmpp-sasl"
	// NSChannelBinding is the namespace of the XEP-0440 stream feature.
	NSChannelBinding = "urn:xmpp:sasl-cb:0"
)

// Authentication is the <authentication> stream feature (XEP-0388 §2.1).
type Authentication struct {
	// Mechanisms lists the mechanism names in the order advertised.
	Mechanisms []string
	// Inline holds the inline features, children of <inline>.
	Inline []Element
	// Extensions holds other foreign children (XEP-0480 <upgrade>, say).
	Extensions []Element
}

// Authenticate is the client's <authenticate> (XEP-0388 §2.2).
type Authenticate struct {
	Mechanism string
	// InitialResponse is nil when no <initial-response> was sent and
	// empty when an empty one was.
	InitialResponse []byte
	UserAgent       *UserAgent
	// Extensions holds the children in other namespaces: the inline
	// requests.
	Extensions []Element

	badEncoding bool
}

// UserAgent describes the client software (XEP-0388 §2.2.1). None of it is
// exposed to other entities.
type UserAgent struct {
	// ID is the id attribute as sent; see ClientID for the validated form.
	ID       string
	Software string
	Device   string
}

// Challenge carries SASL data from the server.
type Challenge struct {
	Data []byte

	badEncoding bool
}

// Response carries SASL data from the client.
type Response struct {
	Data []byte

	badEncoding bool
}

// Success ends a successful authentication (XEP-0388 §2.4).
type Success struct {
	// AdditionalData is the mechanism's final data; nil when absent.
	AdditionalData []byte
	// AuthorizationIdentifier is the bare JID, or the full JID when a
	// resource was bound inline.
	AuthorizationIdentifier string
	// Extensions holds inline results and task results.
	Extensions []Element

	badEncoding bool
}

// Continue tells the client that more tasks are needed (XEP-0388 §2.6).
type Continue struct {
	AdditionalData []byte
	// Tasks lists the acceptable tasks; the client picks one.
	Tasks []string
	Text  string

	badEncoding bool
}

// Next starts the task the client picked.
type Next struct {
	Task    string
	Payload []Element
}

// TaskData carries task messages in either direction.
type TaskData struct {
	Payload []Element
}

// Abort ends an exchange at the client's wish.
type Abort struct {
	Text       string
	Extensions []Element
}

// ChannelBindingFeature is the XEP-0440 <sasl-channel-binding> stream
// feature, sent beside <authentication>.
type ChannelBindingFeature struct {
	Types []string
}

// Decode reads the element that start opens from d and returns its typed
// form: *Authenticate, *Response, *Next, *TaskData, *Abort, *Challenge,
// *Success, *Failure, *Continue, *Authentication or
// *ChannelBindingFeature, or *Element for anything else. It enforces the
// package Limits. A malformed element in NS is an error; the host should
// treat it as a stream error (see ErrMalformed).
func Decode(d *xml.Decoder, start xml.StartElement) (any, error) {
	var e Element
	if err := e.UnmarshalXML(d, start); err != nil {
		return nil, err
	}
	return Parse(e)
}

// ErrMalformed reports an XEP-0388 element that does not follow its schema.
var ErrMalformed = errors.New("sasl2: malformed element")

// Parse returns the typed form of e, as Decode does.
func Parse(e Element) (any, error) {
	if e.Name.Space == NSChannelBinding && e.Name.Local == "sasl-channel-binding" {
		f := &ChannelBindingFeature{}
		for _, c := range e.Children {
			if c.Name.Local == "channel-binding" && c.Name.Space == NSChannelBinding {
				f.Types = append(f.Types, c.Attribute("type"))
			}
		}
		return f, nil
	}
	if e.Name.Space != NS {
		return &e, nil
	}
	var v interface{ from(Element) error }
	switch e.Name.Local {
	case "authenticate":
		v = &Authenticate{}
	case "response":
		v = &Response{}
	case "next":
		v = &Next{}
	case "task-data":
		v = &TaskData{}
	case "abort":
		v = &Abort{}
	case "challenge":
		v = &Challenge{}
	case "success":
		v = &Success{}
	case "failure":
		v = &Failure{}
	case "continue":
		v = &Continue{}
	case "authentication":
		v = &Authentication{}
	default:
		return &e, nil
	}
	if err := v.from(e); err != nil {
		return nil, err
	}
	return v, nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// decode64 decodes SASL data. All XML whitespace (SP, TAB, CR, LF) is
// removed first, by one rule for all four, since XEP-0388 examples wrap
// base64; the rest must be canonical base64 with zero padding bits. The
// empty string is empty data, and "=" is invalid (XEP-0388 dropped the
// RFC 6120 convention).
func decode64(s string) ([]byte, bool) {
	if strings.ContainsAny(s, " \t\r\n") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\t', '\r', '\n':
				return -1
			}
			return r
		}, s)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, false
	}
	if b == nil {
		b = []byte{}
	}
	return b, true
}

func encode64(b []byte) string {
	return base64.StdEncoding.EncodeToString(b)
}

// from fills a from a decoded <authenticate>.
func (a *Authenticate) from(e Element) error {
	a.Mechanism = e.Attribute("mechanism")
	for _, c := range e.Children {
		if c.Name.Space != NS {
			a.Extensions = append(a.Extensions, c)
			continue
		}
		switch c.Name.Local {
		case "initial-response":
			if a.InitialResponse != nil || a.badEncoding {
				return malformed("two initial responses")
			}
			a.InitialResponse, a.badEncoding = data(c.Text)
		case "user-agent":
			if a.UserAgent != nil {
				return malformed("two user agents")
			}
			a.UserAgent = userAgent(c)
		}
	}
	return nil
}

// data decodes a payload, reporting bad encoding instead of failing, so
// that the state machine can answer with a SASL failure.
func data(text string) ([]byte, bool) {
	b, ok := decode64(text)
	return b, !ok
}

func userAgent(e Element) *UserAgent {
	ua := &UserAgent{ID: e.Attribute("id")}
	for _, c := range e.Children {
		if c.Name.Space != NS {
			continue
		}
		switch c.Name.Local {
		case "software":
			ua.Software = c.Text
		case "device":
			ua.Device = c.Text
		}
	}
	return ua
}

func (r *Response) from(e Element) error {
	r.Data, r.badEncoding = data(e.Text)
	return nil
}

func (c *Challenge) from(e Element) error {
	c.Data, c.badEncoding = data(e.Text)
	return nil
}

func (n *Next) from(e Element) error {
	n.Task = e.Attribute("task")
	n.Payload = e.Children
	return nil
}

func (t *TaskData) from(e Element) error {
	t.Payload = e.Children
	return nil
}

func (a *Abort) from(e Element) error {
	for _, c := range e.Children {
		if c.Name.Space == NS && c.Name.Local == "text" {
			a.Text = c.Text
			continue
		}
		a.Extensions = append(a.Extensions, c)
	}
	return nil
}

func (s *Success) from(e Element) error {
	seen := false
	for _, c := range e.Children {
		if c.Name.Space != NS {
			s.Extensions = append(s.Extensions, c)
			continue
		}
		switch c.Name.Local {
		case "additional-data":
			s.AdditionalData, s.badEncoding = data(c.Text)
		case "authorization-identifier":
			s.AuthorizationIdentifier = strings.TrimSpace(c.Text)
			seen = true
		}
	}
	if !seen {
		return malformed("success without authorization-identifier")
	}
	return nil
}

func (c *Continue) from(e Element) error {
	for _, ch := range e.Children {
		if ch.Name.Space != NS {
			continue
		}
		switch ch.Name.Local {
		case "additional-data":
			c.AdditionalData, c.badEncoding = data(ch.Text)
		case "text":
			c.Text = ch.Text
		case "tasks":
			for _, t := range ch.Children {
				if t.Name.Space == NS && t.Name.Local == "task" {
					c.Tasks = append(c.Tasks, strings.TrimSpace(t.Text))
				}
			}
		}
	}
	if len(c.Tasks) == 0 {
		return malformed("continue without tasks")
	}
	return nil
}

func (a *Authentication) from(e Element) error {
	for _, c := range e.Children {
		switch {
		case c.Name.Space == NS && c.Name.Local == "mechanism":
			a.Mechanisms = append(a.Mechanisms, strings.TrimSpace(c.Text))
		case c.Name.Space == NS && c.Name.Local == "inline":
			a.Inline = append(a.Inline, c.Children...)
		case c.Name.Space != NS:
			a.Extensions = append(a.Extensions, c)
		}
	}
	return nil
}

// Encoding. Each type builds its Element and encodes that, so there is one
// encoder for namespaces and escaping.

func (a *Authentication) element() Element {
	e := Element{Name: xml.Name{Space: NS, Local: "authentication"}}
	for _, m := range a.Mechanisms {
		e.Children = append(e.Children, text("mechanism", m))
	}
	if len(a.Inline) > 0 {
		e.Children = append(e.Children, Element{
			Name: xml.Name{Space: NS, Local: "inline"}, Children: a.Inline,
		})
	}
	e.Children = append(e.Children, a.Extensions...)
	return e
}

func (a *Authenticate) element() Element {
	e := Element{Name: xml.Name{Space: NS, Local: "authenticate"}}
	e.Attr = []xml.Attr{{Name: xml.Name{Local: "mechanism"}, Value: a.Mechanism}}
	if a.InitialResponse != nil {
		e.Children = append(e.Children,
			text("initial-response", encode64(a.InitialResponse)))
	}
	if ua := a.UserAgent; ua != nil {
		u := Element{Name: xml.Name{Space: NS, Local: "user-agent"}}
		if ua.ID != "" {
			u.Attr = []xml.Attr{{Name: xml.Name{Local: "id"}, Value: ua.ID}}
		}
		if ua.Software != "" {
			u.Children = append(u.Children, text("software", ua.Software))
		}
		if ua.Device != "" {
			u.Children = append(u.Children, text("device", ua.Device))
		}
		e.Children = append(e.Children, u)
	}
	e.Children = append(e.Children, a.Extensions...)
	return e
}

func (c *Challenge) element() Element {
	return text("challenge", encode64(c.Data))
}

func (r *Response) element() Element {
	return text("response", encode64(r.Data))
}

func (s *Success) element() Element {
	e := Element{Name: xml.Name{Space: NS, Local: "success"}}
	if s.AdditionalData != nil {
		e.Children = append(e.Children,
			text("additional-data", encode64(s.AdditionalData)))
	}
	e.Children = append(e.Children, s.Extensions...)
	e.Children = append(e.Children,
		text("authorization-identifier", s.AuthorizationIdentifier))
	return e
}

func (c *Continue) element() Element {
	e := Element{Name: xml.Name{Space: NS, Local: "continue"}}
	if c.AdditionalData != nil {
		e.Children = append(e.Children,
			text("additional-data", encode64(c.AdditionalData)))
	}
	tasks := Element{Name: xml.Name{Space: NS, Local: "tasks"}}
	for _, t := range c.Tasks {
		tasks.Children = append(tasks.Children, text("task", t))
	}
	e.Children = append(e.Children, tasks)
	if c.Text != "" {
		e.Children = append(e.Children, text("text", c.Text))
	}
	return e
}

func (n *Next) element() Element {
	return Element{
		Name:     xml.Name{Space: NS, Local: "next"},
		Attr:     []xml.Attr{{Name: xml.Name{Local: "task"}, Value: n.Task}},
		Children: n.Payload,
	}
}

func (t *TaskData) element() Element {
	return Element{Name: xml.Name{Space: NS, Local: "task-data"}, Children: t.Payload}
}

func (a *Abort) element() Element {
	e := Element{Name: xml.Name{Space: NS, Local: "abort"}}
	if a.Text != "" {
		e.Children = append(e.Children, text("text", a.Text))
	}
	e.Children = append(e.Children, a.Extensions...)
	return e
}

func (f *ChannelBindingFeature) element() Element {
	e := Element{Name: xml.Name{Space: NSChannelBinding, Local: "sasl-channel-binding"}}
	for _, t := range f.Types {
		e.Children = append(e.Children, Element{
			Name: xml.Name{Space: NSChannelBinding, Local: "channel-binding"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: t}},
		})
	}
	return e
}

func text(local, s string) Element {
	return Element{Name: xml.Name{Space: NS, Local: local}, Text: s}
}

// MarshalXML encodes a.
func (a *Authentication) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(a.element())
}

// MarshalXML encodes a.
func (a *Authenticate) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(a.element())
}

// MarshalXML encodes c.
func (c *Challenge) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(c.element())
}

// MarshalXML encodes r.
func (r *Response) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(r.element())
}

// MarshalXML encodes s.
func (s *Success) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(s.element())
}

// MarshalXML encodes c.
func (c *Continue) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(c.element())
}

// MarshalXML encodes n.
func (n *Next) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(n.element())
}

// MarshalXML encodes t.
func (t *TaskData) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(t.element())
}

// MarshalXML encodes a.
func (a *Abort) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(a.element())
}

// MarshalXML encodes f.
func (f *ChannelBindingFeature) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.Encode(f.element())
}

// UnmarshalXML decodes a within the package Limits.
func (a *Authenticate) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	return unmarshal(d, start, a)
}

// UnmarshalXML decodes s within the package Limits.
func (s *Success) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	return unmarshal(d, start, s)
}

// UnmarshalXML decodes a within the package Limits.
func (a *Authentication) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	return unmarshal(d, start, a)
}

func unmarshal(d *xml.Decoder, start xml.StartElement, v interface{ from(Element) error }) error {
	var e Element
	if err := e.UnmarshalXML(d, start); err != nil {
		return err
	}
	return v.from(e)
}
