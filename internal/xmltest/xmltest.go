// Package xmltest compares XML by meaning for the project's tests: element
// names with their namespaces, attributes in any order, character data with
// surrounding whitespace trimmed. Namespace prefixes, quoting, attribute
// order and self-closing tags do not matter.
package xmltest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Canon returns a canonical text form of the XML document or fragment in s,
// one element per line, so that two inputs with the same meaning give the
// same string and a diff of two forms is readable.
func Canon(s string) (string, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	var b strings.Builder
	depth := 0
	var text bytes.Buffer
	flush := func() {
		if t := strings.TrimSpace(text.String()); t != "" {
			fmt.Fprintf(&b, "%s%q\n", strings.Repeat("  ", depth), t)
		}
		text.Reset()
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			flush()
			var attrs []string
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, fmt.Sprintf("%s %s=%q", a.Name.Space, a.Name.Local, a.Value))
			}
			slices.Sort(attrs)
			fmt.Fprintf(&b, "%s{%s}%s %v\n", strings.Repeat("  ", depth), t.Name.Space, t.Name.Local, attrs)
			depth++
		case xml.EndElement:
			flush()
			depth--
		case xml.CharData:
			text.Write(t)
		}
	}
	flush()
	return b.String(), nil
}

// Equal reports whether a and b have the same meaning, and if not, their
// canonical forms for a failure message.
func Equal(a, b string) (bool, string) {
	ca, err := Canon(a)
	if err != nil {
		return false, "first: " + err.Error()
	}
	cb, err := Canon(b)
	if err != nil {
		return false, "second: " + err.Error()
	}
	if ca == cb {
		return true, ""
	}
	return false, "got:\n" + ca + "want:\n" + cb
}

// Marshal encodes v with encoding/xml and panics on error; for tests.
func Marshal(v any) string {
	out, err := xml.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(out)
}
