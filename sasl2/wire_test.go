package sasl2

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xmppauth/xmppauth/internal/xmltest"
)

// The spec examples decode, and encode back to the same meaning.
func TestSpecElementsRoundTrip(t *testing.T) {
	paths, err := filepath.Glob("../testdata/sasl2/elements/*.xml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path)+" decodes and encodes", func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, el := range topLevel(t, string(raw)) {
				if _, ok := el.(*Element); ok {
					t.Fatalf("decoded as an unknown element: %+v", el)
				}
				again := decodeString(t, canonical(t, el))
				if ok, diff := xmltest.Equal(canonical(t, again), canonical(t, el)); !ok {
					t.Error(diff)
				}
			}
		})
	}
}

// topLevel decodes every element of s, looking inside a <features> wrapper.
func topLevel(t *testing.T, s string) []any {
	el := decodeString(t, s)
	e, ok := el.(*Element)
	if !ok || e.Name.Local != "features" {
		return []any{el}
	}
	var out []any
	for _, c := range e.Children {
		v, err := Parse(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestSpecElementValues(t *testing.T) {
	read := func(name string) []any {
		raw, err := os.ReadFile("../testdata/sasl2/elements/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return topLevel(t, string(raw))
	}

	f := read("xep0388-ex02-features.xml")
	auth, cb := f[0].(*Authentication), f[1].(*ChannelBindingFeature)
	if strings.Join(auth.Mechanisms, " ") != "SCRAM-SHA-1 SCRAM-SHA-1-PLUS" ||
		len(auth.Inline) != 2 || auth.Inline[1].Name.Space != "urn:xmpp:bind:0" {
		t.Errorf("features: %+v", auth)
	}
	if strings.Join(cb.Types, " ") != "tls-server-end-point tls-exporter" {
		t.Errorf("channel binding types: %q", cb.Types)
	}

	a := read("xep0388-ex03-authenticate.xml")[0].(*Authenticate)
	if string(a.InitialResponse) != "p=tls-exporter,,n=user,r=12C4CD5C-E38E-4A98-8F6D-15C38F51CCC6" ||
		a.UserAgent.Device != "Kiva's Phone" || a.UserAgent.Software != "AwesomeXMPP" {
		t.Errorf("authenticate: %+v %+v", a, a.UserAgent)
	}
	if id, ok := a.UserAgent.ClientID(); !ok || id != "d4565fa7-4d72-4749-b3d3-740edbf87770" {
		t.Errorf("client id %q %v", id, ok)
	}

	// Ex 4 indents its base64 across lines.
	a = read("xep0388-ex04-authenticate-inline.xml")[0].(*Authenticate)
	if string(a.InitialResponse) != "I should make this a competition" ||
		len(a.Extensions) != 1 || a.Extensions[0].Name.Space != "urn:xmpp:bind:example" {
		t.Errorf("authenticate with inline request: %q %+v", a.InitialResponse, a.Extensions)
	}

	s := read("xep0388-ex08-success-full-jid.xml")[0].(*Success)
	if s.AuthorizationIdentifier != "juliet@montague.example/Balcony/a987dsh9a87sdh" {
		t.Errorf("authorization identifier %q", s.AuthorizationIdentifier)
	}
	s = read("xep0388-ex09-success-resumed.xml")[0].(*Success)
	if len(s.Extensions) != 1 || s.Extensions[0].Attribute("h") != "345" {
		t.Errorf("resumed: %+v", s.Extensions)
	}

	fl := read("xep0388-ex10-failure.xml")[0].(*Failure)
	if fl.Condition != Aborted || fl.Text != "This is a terrible example." ||
		len(fl.Extensions) != 1 {
		t.Errorf("failure: %+v", fl)
	}

	c := read("xep0388-ex11-continue.xml")[0].(*Continue)
	if strings.Join(c.Tasks, " ") != "HOTP-EXAMPLE TOTP-EXAMPLE" ||
		string(c.AdditionalData) != "I'm bored now." || c.Text != "This account requires 2FA" {
		t.Errorf("continue: %+v", c)
	}
}

// BC-03: one rule for all XML whitespace, strict base64 otherwise, and the
// difference between absent and empty.
func TestBase64(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		ok   bool
	}{
		{"empty text is empty data", "", "", true},
		{"a lone = is not base64", "=", "", false},
		{"a line feed inside is removed", "AHVz\nZXIAcGVuY2ls", "\x00user\x00pencil", true},
		{"a space inside is removed like a line feed", "AHVz ZXIAcGVuY2ls", "\x00user\x00pencil", true},
		{"a tab inside is removed like a line feed", "AHVz\tZXIAcGVuY2ls", "\x00user\x00pencil", true},
		{"a trailing line feed is removed", "AHVzZXIAcGVuY2ls\n", "\x00user\x00pencil", true},
		{"non-zero padding bits are refused", "YWJ=", "", false},
		{"a length that is not a multiple of four is refused", "AHVzZXIAcGVuY2l", "", false},
		{"the URL alphabet is refused", "-_-_", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decode64(tt.in)
			if ok != tt.ok || ok && string(got) != tt.want {
				t.Errorf("decode64(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
			if ok && got == nil {
				t.Error("present data decoded to nil, which means absent")
			}
		})
	}
}

func TestAbsentAndEmptyInitialResponse(t *testing.T) {
	absent := decodeString(t, `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'/>`).(*Authenticate)
	empty := decodeString(t, `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><initial-response/></authenticate>`).(*Authenticate)
	if absent.InitialResponse != nil {
		t.Error("absent initial response decoded as present")
	}
	if empty.InitialResponse == nil || len(empty.InitialResponse) != 0 {
		t.Errorf("empty initial response decoded as %#v", empty.InitialResponse)
	}
	out := xmltest.Marshal(empty)
	if !strings.Contains(out, "initial-response") {
		t.Errorf("empty initial response not encoded: %s", out)
	}
	if out := xmltest.Marshal(absent); strings.Contains(out, "initial-response") {
		t.Errorf("absent initial response encoded: %s", out)
	}
}

// BC-20 case 5: only the hyphenated 8-4-4-4-12 form is an id.
func TestClientID(t *testing.T) {
	tests := []struct {
		id   string
		want string
	}{
		{"0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60", "0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60"},
		{"0B3C8A9E-5D5F-4E7A-9A51-7D3C2B1E4F60", "0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60"},
		{"laptop-1", ""},
		{"{0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60}", ""},
		{"urn:uuid:0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60", ""},
		{"0b3c8a9e5d5f4e7a9a517d3c2b1e4f60", ""},
		{"0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f6g", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := (&UserAgent{ID: tt.id}).ClientID()
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ClientID(%q) = %q, %v; want %q", tt.id, got, ok, tt.want)
		}
	}
	if _, ok := (*UserAgent)(nil).ClientID(); ok {
		t.Error("no user agent has an id")
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("<a>", MaxDepth+2) + strings.Repeat("</a>", MaxDepth+2)
	many := strings.Repeat("<a/>", MaxElements+1)
	long := strings.Repeat("A", MaxText+4)
	attrs := ""
	for i := range MaxAttrs + 1 {
		attrs += " a" + string(rune('a'+i)) + "='1'"
	}
	tests := []struct {
		name string
		xml  string
	}{
		{"nesting deeper than MaxDepth", "<authenticate xmlns='urn:xmpp:sasl:2'>" + deep + "</authenticate>"},
		{"more than MaxElements children", "<authenticate xmlns='urn:xmpp:sasl:2'>" + many + "</authenticate>"},
		{"text longer than MaxText", "<response xmlns='urn:xmpp:sasl:2'>" + long + "</response>"},
		{"more than MaxAttrs attributes", "<response xmlns='urn:xmpp:sasl:2'" + attrs + "/>"},
		{"an attribute value longer than MaxText", "<authenticate xmlns='urn:xmpp:sasl:2'><resume xmlns='urn:xmpp:sm:3' previd='" + long + "'/></authenticate>"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			d := xml.NewDecoder(strings.NewReader(tt.xml))
			tok, _ := d.Token()
			_, err := Decode(d, tok.(xml.StartElement))
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("got %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestUnknownAttributesAndOrder(t *testing.T) {
	a := decodeString(t, `<authenticate extra='1' xmlns='urn:xmpp:sasl:2' mechanism='X'><user-agent id='0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60' x='y'/><initial-response>AA==</initial-response></authenticate>`).(*Authenticate)
	if a.Mechanism != "X" || !bytes.Equal(a.InitialResponse, []byte{0}) || a.UserAgent == nil {
		t.Errorf("got %+v", a)
	}
	// xmpp.js puts a mechanism attribute on <response>.
	r := decodeString(t, `<response xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-1'>AA==</response>`).(*Response)
	if !bytes.Equal(r.Data, []byte{0}) {
		t.Errorf("response data %q", r.Data)
	}
}

func TestMalformedElements(t *testing.T) {
	for _, s := range []string{
		`<success xmlns='urn:xmpp:sasl:2'/>`,
		`<failure xmlns='urn:xmpp:sasl:2'><text>no condition</text></failure>`,
		`<continue xmlns='urn:xmpp:sasl:2'><tasks/></continue>`,
		`<authenticate xmlns='urn:xmpp:sasl:2'><initial-response/><initial-response/></authenticate>`,
	} {
		d := xml.NewDecoder(strings.NewReader(s))
		tok, _ := d.Token()
		if _, err := Decode(d, tok.(xml.StartElement)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", s, err)
		}
	}
}

func unmarshalString(s string, e *Element) error {
	return xml.Unmarshal([]byte(s), e)
}

func TestRestrictedXML(t *testing.T) {
	for _, s := range []string{
		"<authenticate xmlns='urn:xmpp:sasl:2' mechanism='X'><!-- c --></authenticate>",
		"<response xmlns='urn:xmpp:sasl:2'><?pi x?>AA==</response>",
		"<authenticate xmlns='urn:xmpp:sasl:2' mechanism='X'><!DOCTYPE foo [<!ENTITY x 'y'>]></authenticate>",
		"<authenticate xmlns='urn:xmpp:sasl:2' mechanism='X'><bind xmlns='urn:xmpp:bind:0'><!-- c --></bind></authenticate>",
	} {
		d := xml.NewDecoder(strings.NewReader(s))
		tok, _ := d.Token()
		if _, err := Decode(d, tok.(xml.StartElement)); !errors.Is(err, ErrRestricted) {
			t.Errorf("%s: got %v, want ErrRestricted", s, err)
		}
	}
}
