// Package sasl2test carries elements through XML for the tests of the
// packages built on sasl2, as a stream would.
package sasl2test

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/xmppauth/xmppauth/internal/xmltest"
	"github.com/xmppauth/xmppauth/sasl2"
)

// Decode returns the first element of s in its sasl2 form, looking inside
// a <stream:features> wrapper.
func Decode(t testing.TB, s string) any {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("decode %q: %v", s, err)
		}
		start, ok := tok.(xml.StartElement)
		if ok && start.Name.Space != "http://etherx.jabber.org/streams" {
			v, err := sasl2.Decode(d, start)
			if err != nil {
				t.Fatalf("decode %q: %v", s, err)
			}
			return v
		}
	}
}

// Wire encodes v and decodes it again.
func Wire(t testing.TB, v any) any {
	t.Helper()
	return Decode(t, xmltest.Marshal(v))
}
