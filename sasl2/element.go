package sasl2

import (
	"encoding/xml"
	"errors"
	"strings"
)

// Limits bound what a decoder accepts in one top-level element. Input over
// a limit is refused with ErrTooLarge before it is stored, so memory stays
// proportional to the limits and never to the input.
const (
	// MaxDepth is the deepest nesting below a top-level element.
	MaxDepth = 8
	// MaxElements is the number of descendants of one top-level element.
	MaxElements = 64
	// MaxAttrs is the number of attributes on one element.
	MaxAttrs = 16
	// MaxText is the length in bytes of the character data of one element,
	// base64 payloads included, and of one attribute value.
	MaxText = 16 << 10
)

// Errors from decoding. Both are stream errors for the host:
// policy-violation and restricted-xml.
var (
	// ErrTooLarge reports input beyond one of the limits.
	ErrTooLarge = errors.New("sasl2: element exceeds limits")
	// ErrRestricted reports a comment, processing instruction or DTD,
	// which XMPP does not allow (RFC 6120 §11.1).
	ErrRestricted = errors.New("sasl2: restricted XML")
)

// Element is an XML element in a namespace that this package does not
// interpret: an inline feature, an inline request, a task payload. It holds
// names, attributes, child elements and the character data directly inside
// it; mixed content keeps its text but not its position among children.
//
// The zero value is an element with no name and is never encoded.
type Element struct {
	Name     xml.Name
	Attr     []xml.Attr
	Children []Element
	Text     string
}

// Attribute returns the value of the attribute with the given local name and
// no namespace, or "" when it is absent.
func (e *Element) Attribute(local string) string {
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// Child returns the first child with the given namespace and local name, or
// nil.
func (e *Element) Child(space, local string) *Element {
	for i := range e.Children {
		c := &e.Children[i]
		if c.Name.Space == space && c.Name.Local == local {
			return c
		}
	}
	return nil
}

// MarshalXML encodes e with its namespace declared where it differs from
// the parent's.
func (e Element) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return encodeElement(enc, e, "")
}

func encodeElement(enc *xml.Encoder, e Element, parentNS string) error {
	if e.Name.Local == "" {
		return errors.New("sasl2: element without a name")
	}
	start := xml.StartElement{Name: xml.Name{Local: e.Name.Local}}
	if e.Name.Space != parentNS {
		start.Attr = append(start.Attr,
			xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: e.Name.Space})
	}
	start.Attr = append(start.Attr, e.Attr...)
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if e.Text != "" {
		if err := enc.EncodeToken(xml.CharData(e.Text)); err != nil {
			return err
		}
	}
	for _, c := range e.Children {
		if err := encodeElement(enc, c, e.Name.Space); err != nil {
			return err
		}
	}
	return enc.EncodeToken(start.End())
}

// UnmarshalXML decodes one element within the package Limits.
func (e *Element) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	b := budget{elements: MaxElements}
	return b.element(d, start, e, 0)
}

// budget counts what one top-level element may still hold.
type budget struct {
	elements int
}

func (b *budget) element(d *xml.Decoder, start xml.StartElement, e *Element, depth int) error {
	if depth > MaxDepth || len(start.Attr) > MaxAttrs {
		return ErrTooLarge
	}
	for _, a := range start.Attr {
		if len(a.Value) > MaxText {
			return ErrTooLarge
		}
	}
	e.Name = start.Name
	e.Attr = attrs(start.Attr)
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if b.elements--; b.elements < 0 {
				return ErrTooLarge
			}
			var c Element
			if err := b.element(d, t, &c, depth+1); err != nil {
				return err
			}
			e.Children = append(e.Children, c)
		case xml.CharData:
			if text.Len()+len(t) > MaxText {
				return ErrTooLarge
			}
			text.Write(t)
		case xml.Comment, xml.ProcInst, xml.Directive:
			// RFC 6120 §11.1 restricts XMPP to elements, attributes and
			// character data.
			return ErrRestricted
		case xml.EndElement:
			e.Text = text.String()
			if len(e.Children) > 0 {
				e.Text = strings.TrimSpace(e.Text)
			}
			return nil
		}
	}
}

// attrs drops namespace declarations, which the decoder has already applied
// to names, and copies the rest.
func attrs(in []xml.Attr) []xml.Attr {
	var out []xml.Attr
	for _, a := range in {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		out = append(out, a)
	}
	return out
}
