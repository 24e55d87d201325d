package xmlstream

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"

	"github.com/xmppauth/xmppauth/sasl2"
)

// Namespaces of RFC 6120 and of the few extensions the examples speak.
const (
	NSStream       = "http://etherx.jabber.org/streams"
	NSClient       = "jabber:client"
	NSTLS          = "urn:ietf:params:xml:ns:xmpp-tls"
	NSStreamErrors = "urn:ietf:params:xml:ns:xmpp-streams"
	NSStanzas      = "urn:ietf:params:xml:ns:xmpp-stanzas"
	NSBind         = "urn:ietf:params:xml:ns:xmpp-bind"
	NSSession      = "urn:ietf:params:xml:ns:xmpp-session"
	NSPing         = "urn:xmpp:ping"
	NSDiscoInfo    = "http://jabber.org/protocol/disco#info"
	NSRoster       = "jabber:iq:roster"

	nsXML = "http://www.w3.org/XML/1998/namespace"
)

// Limits on one top-level element beside its size in bytes. The tree a
// peer's element decodes to is many times larger than the element:
// without them a 64 KiB <message> of 16,000 <a/> children takes almost
// 2 MB. Input over a limit is a policy-violation stream error.
const (
	// MaxDepth is the deepest nesting an *Element may have below its root.
	MaxDepth = 32
	// MaxElements is the number of elements below the root.
	MaxElements = 256
	// MaxAttrs is the number of attributes, namespace declarations
	// included, on the root and every element below it, all told.
	MaxAttrs = 1024
)

// Element is one XML element with its content in document order. Stanzas,
// stream features and stream errors are Elements; the SASL2 elements have
// their own types in package sasl2.
//
// An Element is not safe for concurrent use; Copy it before handing it to
// another goroutine that may change it.
type Element struct {
	Name xml.Name
	// Attr holds the attributes, namespace declarations excluded: names
	// carry their namespace, and encoding declares what it needs.
	Attr []xml.Attr
	// Nodes holds the child elements and character data in order.
	Nodes []Node
}

// Node is a child of an Element: an element when Elem is not nil, else
// character data.
type Node struct {
	Elem *Element
	Text string
}

// NewElement returns an element with the given namespace and local name and
// attributes given as name, value pairs.
func NewElement(space, local string, attrs ...string) *Element {
	e := &Element{Name: xml.Name{Space: space, Local: local}}
	for i := 0; i+1 < len(attrs); i += 2 {
		e.SetAttr(attrs[i], attrs[i+1])
	}
	return e
}

// Attribute returns the value of the attribute with the local name and no
// namespace, or "" when it is absent.
func (e *Element) Attribute(local string) string {
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// SetAttr sets the attribute with the local name and no namespace; an empty
// value removes it.
func (e *Element) SetAttr(local, value string) *Element {
	for i, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			if value == "" {
				e.Attr = append(e.Attr[:i], e.Attr[i+1:]...)
			} else {
				e.Attr[i].Value = value
			}
			return e
		}
	}
	if value != "" {
		e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: local}, Value: value})
	}
	return e
}

// Add appends child elements and returns e.
func (e *Element) Add(children ...*Element) *Element {
	for _, c := range children {
		e.Nodes = append(e.Nodes, Node{Elem: c})
	}
	return e
}

// AddText appends character data and returns e.
func (e *Element) AddText(s string) *Element {
	e.Nodes = append(e.Nodes, Node{Text: s})
	return e
}

// Children returns the child elements in order.
func (e *Element) Children() []*Element {
	var out []*Element
	for _, n := range e.Nodes {
		if n.Elem != nil {
			out = append(out, n.Elem)
		}
	}
	return out
}

// Child returns the first child element with the namespace and local name,
// or nil.
func (e *Element) Child(space, local string) *Element {
	for _, n := range e.Nodes {
		if n.Elem != nil && n.Elem.Name.Space == space && n.Elem.Name.Local == local {
			return n.Elem
		}
	}
	return nil
}

// Text returns the character data directly inside e.
func (e *Element) Text() string {
	var b strings.Builder
	for _, n := range e.Nodes {
		if n.Elem == nil {
			b.WriteString(n.Text)
		}
	}
	return b.String()
}

// Copy returns a deep copy of e.
func (e *Element) Copy() *Element {
	c := &Element{Name: e.Name, Attr: append([]xml.Attr(nil), e.Attr...)}
	c.Nodes = make([]Node, len(e.Nodes))
	for i, n := range e.Nodes {
		c.Nodes[i] = n
		if n.Elem != nil {
			c.Nodes[i].Elem = n.Elem.Copy()
		}
	}
	return c
}

// SASL2 returns e in the form package sasl2 parses. Mixed content loses its
// position, which no SASL2 element has.
func (e *Element) SASL2() sasl2.Element {
	s := sasl2.Element{Name: e.Name, Attr: e.Attr, Text: e.Text()}
	for _, c := range e.Children() {
		s.Children = append(s.Children, c.SASL2())
	}
	if len(s.Children) > 0 {
		s.Text = strings.TrimSpace(s.Text)
	}
	return s
}

// FromSASL2 returns an Element holding s.
func FromSASL2(s sasl2.Element) *Element {
	e := &Element{Name: s.Name, Attr: append([]xml.Attr(nil), s.Attr...)}
	if s.Text != "" {
		e.AddText(s.Text)
	}
	for _, c := range s.Children {
		e.Add(FromSASL2(c))
	}
	return e
}

// String returns e encoded as a document of its own, its namespace
// declared.
func (e *Element) String() string {
	var b bytes.Buffer
	e.encode(&b, "")
	return b.String()
}

// Bytes returns e encoded as Send writes it, for a queue that keeps
// elements as bytes until SendRaw writes them.
func (e *Element) Bytes() []byte {
	var b bytes.Buffer
	e.encode(&b, NSClient)
	return b.Bytes()
}

// Errors from decoding; readError turns each into its stream error.
var (
	errDepth     = errors.New("xmlstream: element nested too deeply")
	errElements  = errors.New("xmlstream: too many elements")
	errAttrs     = errors.New("xmlstream: too many attributes")
	errDuplicate = errors.New("xmlstream: duplicate attribute")
)

// budget counts what one top-level element may still hold.
type budget struct {
	elements, attrs int
}

// decodeElement reads the element that start opens, up to its end tag,
// within the limits.
func decodeElement(d *xml.Decoder, start xml.StartElement) (*Element, error) {
	b := budget{elements: MaxElements, attrs: MaxAttrs}
	return b.element(d, start, 0)
}

func (b *budget) element(d *xml.Decoder, start xml.StartElement, depth int) (*Element, error) {
	if depth > MaxDepth {
		return nil, errDepth
	}
	if b.attrs -= len(start.Attr); b.attrs < 0 {
		return nil, errAttrs
	}
	if err := uniqueAttrs(start.Attr); err != nil {
		return nil, err
	}

	e := &Element{Name: start.Name}
	for _, a := range start.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		e.Attr = append(e.Attr, a)
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if b.elements--; b.elements < 0 {
				return nil, errElements
			}
			c, err := b.element(d, t, depth+1)
			if err != nil {
				return nil, err
			}
			e.Add(c)
		case xml.CharData:
			// Empty CDATA sections would each cost a node.
			if len(t) > 0 {
				e.AddText(string(t))
			}
		case xml.EndElement:
			return e, nil
		default:
			return nil, errRestricted
		}
	}
}

// uniqueAttrs refuses two attributes with the same name and namespace,
// which encoding/xml lets through although XML 1.0 §3.1 (Unique Att Spec)
// and Namespaces in XML §6.3 make the document not well-formed. A stanza
// with two 'from' or 'to' attributes must not be forwarded: SetAttr would
// stamp only the first, and a reader that keeps the last would see a
// forged sender. The names are compared as translated, so that a prefix
// bound to the empty namespace cannot hide a second 'from'.
func uniqueAttrs(attrs []xml.Attr) error {
	if len(attrs) <= 16 {
		for i := range attrs {
			for j := range i {
				if attrs[i].Name == attrs[j].Name {
					return errDuplicate
				}
			}
		}
		return nil
	}
	seen := make(map[xml.Name]bool, len(attrs))
	for _, a := range attrs {
		if seen[a.Name] {
			return errDuplicate
		}
		seen[a.Name] = true
	}
	return nil
}

// encode writes e with namespace declarations wherever an element's
// namespace differs from its parent's. Elements in the stream namespace
// use the stream: prefix that every stream header declares.
func (e *Element) encode(b *bytes.Buffer, parentNS string) {
	name := e.Name.Local
	if e.Name.Space == NSStream {
		name = "stream:" + name
	}
	b.WriteByte('<')
	b.WriteString(name)
	if e.Name.Space != parentNS && e.Name.Space != NSStream {
		attr(b, "xmlns", e.Name.Space)
	}
	prefixes := 0
	for _, a := range e.Attr {
		switch a.Name.Space {
		case "":
			attr(b, a.Name.Local, a.Value)
		case nsXML:
			attr(b, "xml:"+a.Name.Local, a.Value)
		default:
			prefixes++
			p := "a" + strconv.Itoa(prefixes)
			attr(b, "xmlns:"+p, a.Name.Space)
			attr(b, p+":"+a.Name.Local, a.Value)
		}
	}
	if len(e.Nodes) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	ns := e.Name.Space
	for _, n := range e.Nodes {
		if n.Elem != nil {
			n.Elem.encode(b, ns)
			continue
		}
		xml.EscapeText(b, []byte(n.Text))
	}
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

func attr(b *bytes.Buffer, name, value string) {
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString("='")
	xml.EscapeText(b, []byte(value))
	b.WriteByte('\'')
}
