package bind2

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/xmppauth/xmppauth/sasl2"
)

// Namespaces used on the wire.
const (
	// NS is the namespace of XEP-0386 elements.
	NS = "urn:xmpp:bind:0"
	// NSSM is the namespace of XEP-0198 Stream Management.
	NSSM = "urn:xmpp:sm:3"
	// NSCarbons is the namespace of XEP-0280 Message Carbons.
	NSCarbons = "urn:xmpp:carbons:2"
	// NSCSI is the namespace of XEP-0352 Client State Indication.
	NSCSI = "urn:xmpp:csi:0"
	// NSStanzas is the namespace of RFC 6120 §8.3 stanza error conditions.
	NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

// Feature is the Bind 2 feature, the <bind> child of the SASL2 <inline>
// (XEP-0386 §3.1).
type Feature struct {
	// Inline lists the vars of the session features that a bind request
	// may enable, such as NSCarbons, NSCSI and NSSM, in the order
	// advertised.
	Inline []string
}

// Element returns f as <bind xmlns='urn:xmpp:bind:0'>. The <inline> child
// is left out when Inline is empty, as the schema requires.
func (f *Feature) Element() sasl2.Element {
	e := element(NS, "bind")
	if len(f.Inline) == 0 {
		return e
	}
	inline := element(NS, "inline")
	inline.Children = make([]sasl2.Element, 0, len(f.Inline))
	for _, v := range f.Inline {
		c := element(NS, "feature")
		c.Attr = []xml.Attr{attr("var", v)}
		inline.Children = append(inline.Children, c)
	}
	e.Children = []sasl2.Element{inline}
	return e
}

// ParseFeature reads the Bind 2 feature from e. It also accepts <feature>
// children placed directly in <bind>, as the stale examples of XEP-0198
// show them, and skips features without a var.
func ParseFeature(e sasl2.Element) (*Feature, error) {
	if err := is(e, NS, "bind"); err != nil {
		return nil, err
	}
	f := &Feature{}
	vars := func(list []sasl2.Element) {
		for _, c := range list {
			if c.Name.Space == NS && c.Name.Local == "feature" {
				if v := c.Attribute("var"); v != "" {
					f.Inline = append(f.Inline, v)
				}
			}
		}
	}
	vars(e.Children)
	for _, c := range e.Children {
		if c.Name.Space == NS && c.Name.Local == "inline" {
			vars(c.Children)
		}
	}
	return f, nil
}

// Offers reports whether the feature lists var among its inline features.
func (f *Feature) Offers(v string) bool {
	for _, x := range f.Inline {
		if x == v {
			return true
		}
	}
	return false
}

// Bind is the client's request, the <bind> child of <authenticate>
// (XEP-0386 §3.2).
type Bind struct {
	// Tag is the short name of the client software, or "" for none. It
	// becomes part of the resource and so of the full JID, which contacts
	// see: it must not reveal anything private (XEP-0386 §5).
	Tag string
	// Payload holds the feature requests, children in other namespaces:
	// <enable xmlns='urn:xmpp:carbons:2'/>, <inactive xmlns='urn:xmpp:csi:0'/>
	// and the like.
	Payload []sasl2.Element
}

// Element returns b as <bind xmlns='urn:xmpp:bind:0'>.
func (b *Bind) Element() sasl2.Element {
	e := element(NS, "bind")
	e.Children = make([]sasl2.Element, 0, 1+len(b.Payload))
	if b.Tag != "" {
		tag := element(NS, "tag")
		tag.Text = b.Tag
		e.Children = append(e.Children, tag)
	}
	e.Children = append(e.Children, b.Payload...)
	return e
}

// ParseBind reads a bind request from e. Tag is the text of the first
// <tag>, as sent; Payload holds the children in other namespaces. Other
// children in NS are ignored.
func ParseBind(e sasl2.Element) (*Bind, error) {
	if err := is(e, NS, "bind"); err != nil {
		return nil, err
	}
	b := &Bind{Payload: make([]sasl2.Element, 0, len(e.Children))}
	tagged := false
	for _, c := range e.Children {
		switch {
		case c.Name.Space != NS:
			b.Payload = append(b.Payload, c)
		case c.Name.Local == "tag" && !tagged:
			b.Tag, tagged = c.Text, true
		}
	}
	return b, nil
}

// Bound is the result of a successful bind, the <bound> child of
// <success> (XEP-0386 §3.2).
type Bound struct {
	// Payload holds the children: the XEP-0313 <metadata> of the user's
	// archive at the time of binding, which the server SHOULD send, and
	// the responses of enabled features, such as the XEP-0198 <enabled/>
	// or <failed/> that must answer an SM <enable/>.
	Payload []sasl2.Element
}

// Element returns b as <bound xmlns='urn:xmpp:bind:0'>.
func (b *Bound) Element() sasl2.Element {
	e := element(NS, "bound")
	e.Children = b.Payload
	return e
}

// ParseBound reads <bound> from e. The XEP-0386 schema allows only MAM
// metadata in it, but the text requires more; every child is kept.
func ParseBound(e sasl2.Element) (*Bound, error) {
	if err := is(e, NS, "bound"); err != nil {
		return nil, err
	}
	return &Bound{Payload: e.Children}, nil
}

// Child returns the first child of b with the given namespace and local
// name, or nil.
func (b *Bound) Child(space, local string) *sasl2.Element {
	for i := range b.Payload {
		c := &b.Payload[i]
		if c.Name.Space == space && c.Name.Local == local {
			return c
		}
	}
	return nil
}

// Failed is <failed xmlns='urn:xmpp:bind:0'>, which a server puts in
// <success> instead of <bound> when authentication succeeded but binding
// did not. XEP-0386 defines no failure; this is Prosody's shape.
type Failed struct {
	// Err says why binding failed.
	Err StanzaError
}

// Element returns f as <failed xmlns='urn:xmpp:bind:0'> holding an <error>
// element, which, as Prosody sends it, inherits the namespace of <failed>.
func (f *Failed) Element() sasl2.Element {
	e := element(NS, "failed")
	e.Children = []sasl2.Element{f.Err.element(NS)}
	return e
}

// ParseFailed reads <failed xmlns='urn:xmpp:bind:0'> from e. Its <error>
// child may be in any namespace; without one, the error is
// undefined-condition.
func ParseFailed(e sasl2.Element) (*Failed, error) {
	if err := is(e, NS, "failed"); err != nil {
		return nil, err
	}
	f := &Failed{Err: StanzaError{Condition: UndefinedCondition}}
	for _, c := range e.Children {
		if c.Name.Local == "error" {
			f.Err = parseStanzaError(c)
			break
		}
	}
	return f, nil
}

func element(space, local string) sasl2.Element {
	return sasl2.Element{Name: xml.Name{Space: space, Local: local}}
}

func attr(local, value string) xml.Attr {
	return xml.Attr{Name: xml.Name{Local: local}, Value: value}
}

// is checks the name of an element handed to a Parse function.
func is(e sasl2.Element, space, local string) error {
	if e.Name.Space != space || e.Name.Local != local {
		return fmt.Errorf("bind2: got <%s xmlns='%s'>, want <%s xmlns='%s'>",
			clip(e.Name.Local), clip(e.Name.Space), local, space)
	}
	return nil
}

// clip shortens peer-supplied text for an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}
