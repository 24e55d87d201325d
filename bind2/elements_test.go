package bind2_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/xmppauth/xmppauth/bind2"
	"github.com/xmppauth/xmppauth/internal/xmltest"
	"github.com/xmppauth/xmppauth/sasl2"
)

// vector decodes the golden file name in testdata/bind2.
func vector(t testing.TB, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "bind2", name))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, string(b))
}

// find returns the first element of list with the given name.
func find(t testing.TB, list []sasl2.Element, space, local string) sasl2.Element {
	t.Helper()
	for _, e := range list {
		if e.Name.Space == space && e.Name.Local == local {
			return e
		}
	}
	t.Fatalf("no <%s xmlns='%s'>", local, space)
	return sasl2.Element{}
}

func TestXEP0386Example1(t *testing.T) {
	a := vector(t, "xep0386-ex1.xml").(*sasl2.Authentication)
	bind := find(t, a.Inline, bind2.NS, "bind")
	f, err := bind2.ParseFeature(bind)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{bind2.NSCarbons, bind2.NSCSI, bind2.NSSM}
	if len(f.Inline) != 3 || f.Inline[0] != want[0] || f.Inline[1] != want[1] ||
		f.Inline[2] != want[2] {
		t.Errorf("inline features %q, want %q", f.Inline, want)
	}
	equal(t, f.Element(), xmltest.Marshal(bind))

	// The server advertises the same for the same features.
	h := &recorder{}
	mine, _ := newServer(t, h.config()).Features()
	equal(t, find(t, mine.Inline, bind2.NS, "bind"), xmltest.Marshal(bind))
}

// TestXEP0386Examples2and3 reads the requests of Examples 2 and 3, and has
// a client with the same tag and features ask the server of Example 1 for
// the same.
func TestXEP0386Examples2and3(t *testing.T) {
	features := vector(t, "xep0386-ex1.xml").(*sasl2.Authentication)
	for _, tt := range []struct {
		file     string
		features int
	}{{"xep0386-ex2.xml", 0}, {"xep0386-ex3.xml", 3}} {
		t.Run(tt.file, func(t *testing.T) {
			a := vector(t, tt.file).(*sasl2.Authenticate)
			bind := find(t, a.Extensions, bind2.NS, "bind")
			b, err := bind2.ParseBind(bind)
			if err != nil {
				t.Fatal(err)
			}
			if b.Tag != "AwesomeXMPP" || len(b.Payload) != tt.features {
				t.Errorf("got %+v", b)
			}
			equal(t, b.Element(), xmltest.Marshal(bind))

			c := &bind2.Client{Tag: b.Tag, Features: b.Payload}
			got, ok := c.Request(conn(), features.Inline)
			if !ok {
				t.Fatal("client asks for nothing")
			}
			equal(t, got, xmltest.Marshal(bind))
		})
	}
}

func TestXEP0386Example4(t *testing.T) {
	s := vector(t, "xep0386-ex4.xml").(*sasl2.Success)
	bound := find(t, s.Extensions, bind2.NS, "bound")
	b, err := bind2.ParseBound(bound)
	if err != nil {
		t.Fatal(err)
	}
	if b.Child("urn:xmpp:mam:2", "metadata") == nil {
		t.Errorf("no metadata in %+v", b)
	}
	equal(t, b.Element(), xmltest.Marshal(bound))

	// A server whose hook returns this metadata sends the same <bound>.
	cfg := &sasl2.Config{Extensions: []sasl2.Extension{bind2.New(bind2.Config{
		Bind: func(context.Context, *sasl2.Result, *bind2.Request) (*bind2.Bound, error) {
			return b, nil
		},
	})}}
	out := success(t, send(t, newServer(t, cfg), authenticate(
		"<bind xmlns='urn:xmpp:bind:0'><tag>AwesomeXMPP</tag></bind>")))
	equal(t, find(t, out.Extensions, bind2.NS, "bound"), xmltest.Marshal(bound))
}

func TestXEP0198Example27(t *testing.T) {
	a := vector(t, "xep0198-ex27.xml").(*sasl2.Authentication)
	f, err := bind2.ParseFeature(find(t, a.Inline, bind2.NS, "bind"))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Offers(bind2.NSSM) || len(f.Inline) != 1 {
		t.Errorf("inline features %q", f.Inline)
	}
	c := &bind2.ClientSM{Resume: &bind2.Resume{PrevID: "some-long-sm-id", H: 12}}
	got, ok := c.Request(conn(), a.Inline)
	if !ok {
		t.Fatal("client does not resume")
	}
	equal(t, got, `<resume xmlns="urn:xmpp:sm:3" h="12" previd="some-long-sm-id"/>`)
}

func TestStaleFeatureIsRead(t *testing.T) {
	// XEP-0198 Example 27 as published: <feature> not in <inline>.
	stale := decode(t, `<bind xmlns="urn:xmpp:bind:0">
	  <feature var='urn:xmpp:sm:3'/></bind>`).(*sasl2.Element)
	f, err := bind2.ParseFeature(*stale)
	if err != nil || !f.Offers(bind2.NSSM) {
		t.Errorf("got %+v, %v", f, err)
	}
}

func TestXEP0198Example28(t *testing.T) {
	a := vector(t, "xep0198-ex28.xml").(*sasl2.Authenticate)
	r, err := bind2.ParseResume(find(t, a.Extensions, bind2.NSSM, "resume"))
	if err != nil || r.PrevID != "some-long-sm-id" || r.H != 12 {
		t.Errorf("resume %+v, %v", r, err)
	}
	b, err := bind2.ParseBind(find(t, a.Extensions, bind2.NS, "bind"))
	if err != nil || b.Tag != "AwesomeXMPP" || len(b.Payload) != 1 {
		t.Fatalf("bind %+v, %v", b, err)
	}
	en, err := bind2.ParseSMEnable(b.Payload[0])
	if err != nil || en.Resume || en.Max != 0 {
		t.Errorf("enable %+v, %v", en, err)
	}
}

// TestXEP0198Examples29to31 has the server answer the request of Example
// 28 (or without the part the example leaves out) and compares the
// children of its <success> with the examples.
func TestXEP0198Examples29to31(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		resume bool
		enable bool
	}{
		{"a new stream without stream management", "xep0198-ex29.xml", false, true},
		{"a failed resumption and a new stream", "xep0198-ex30.xml", true, false},
		{"a failed resumption and no stream management", "xep0198-ex31.xml", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := vector(t, tt.file).(*sasl2.Success)
			wantBound, _ := bind2.ParseBound(find(t, want.Extensions, bind2.NS, "bound"))
			meta := wantBound.Child("urn:xmpp:mam:2", "metadata")

			cfg := &sasl2.Config{Extensions: []sasl2.Extension{
				bind2.NewSM(bind2.SMConfig{Resume: func(context.Context, *sasl2.Result, *bind2.Resume) (*bind2.Resumed, error) {
					return nil, &bind2.SMFailed{H: 7, HasH: true,
						Err: bind2.StanzaError{Condition: bind2.ItemNotFound}}
				}}),
				bind2.New(bind2.Config{
					Features: []string{bind2.NSSM},
					Bind: func(_ context.Context, _ *sasl2.Result, req *bind2.Request) (*bind2.Bound, error) {
						b := &bind2.Bound{}
						if req.SM() != nil {
							f := bind2.SMFailed{Err: bind2.StanzaError{Condition: bind2.InternalServerError}}
							b.Payload = append(b.Payload, f.Element())
						}
						b.Payload = append(b.Payload, *meta)
						return b, nil
					},
				}),
			}}

			a := vector(t, "xep0198-ex28.xml").(*sasl2.Authenticate)
			var children string
			for _, e := range a.Extensions {
				switch {
				case e.Name.Local == "resume" && !tt.resume:
					continue
				case e.Name.Local == "bind" && !tt.enable:
					e.Children = e.Children[:1] // the tag only
				}
				children += xmltest.Marshal(e)
			}
			got := success(t, send(t, newServer(t, cfg), authenticate(children)))
			if len(got.Extensions) != len(want.Extensions) {
				t.Fatalf("got %s, want the children of %s",
					xmltest.Marshal(got), xmltest.Marshal(want))
			}
			for i := range got.Extensions {
				equal(t, got.Extensions[i], xmltest.Marshal(want.Extensions[i]))
			}
		})
	}
}

func TestRoundTrips(t *testing.T) {
	tests := []struct {
		name  string
		xml   string
		parse func(sasl2.Element) (interface{ Element() sasl2.Element }, error)
	}{{
		name: "a feature without inline features has no inline",
		xml:  "<bind xmlns='urn:xmpp:bind:0'/>",
		parse: func(e sasl2.Element) (interface{ Element() sasl2.Element }, error) {
			return bind2.ParseFeature(e)
		},
	}, {
		name: "a failed bind keeps its stanza error",
		xml: `<failed xmlns='urn:xmpp:bind:0'><error type='cancel'>
		  <conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
		  <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>in use</text>
		</error></failed>`,
		parse: func(e sasl2.Element) (interface{ Element() sasl2.Element }, error) {
			return bind2.ParseFailed(e)
		},
	}, {
		name: "an enable keeps resume and max",
		xml:  "<enable xmlns='urn:xmpp:sm:3' resume='true' max='600'/>",
		parse: func(e sasl2.Element) (interface{ Element() sasl2.Element }, error) {
			return bind2.ParseSMEnable(e)
		},
	}, {
		name: "an enabled keeps every attribute",
		xml: `<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id'
		  location='[2001:41D0:1:A49b::1]:9222' resume='true' max='600'/>`,
		parse: func(e sasl2.Element) (interface{ Element() sasl2.Element }, error) {
			return bind2.ParseSMEnabled(e)
		},
	}, {
		name: "a failed stream management keeps h and text",
		xml: `<failed xmlns='urn:xmpp:sm:3' h='0'>
		  <unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
		  <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>twice</text>
		</failed>`,
		parse: func(e sasl2.Element) (interface{ Element() sasl2.Element }, error) {
			return bind2.ParseSMFailed(e)
		},
	}, {
		name: "a resumed keeps previd and h",
		xml:  "<resumed xmlns='urn:xmpp:sm:3' previd='x' h='4294967295'/>",
		parse: func(e sasl2.Element) (interface{ Element() sasl2.Element }, error) {
			return bind2.ParseResumed(e)
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decode(t, tt.xml).(*sasl2.Element)
			v, err := tt.parse(*e)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, v.Element(), tt.xml)
		})
	}
}

func TestParseIsStrictWhereItMatters(t *testing.T) {
	tests := []struct {
		name string
		xml  string
		ok   bool
	}{
		{"a resume without previd is refused", "<resume xmlns='urn:xmpp:sm:3' h='1'/>", false},
		{"a resume with a negative h is refused", "<resume xmlns='urn:xmpp:sm:3' previd='a' h='-1'/>", false},
		{"a resume with h over 32 bits is refused", "<resume xmlns='urn:xmpp:sm:3' previd='a' h='4294967296'/>", false},
		{"a resume with h in hex is refused", "<resume xmlns='urn:xmpp:sm:3' previd='a' h='0x1'/>", false},
		{"a resume with h in white space is read", "<resume xmlns='urn:xmpp:sm:3' previd='a' h=' 1 '/>", true},
		{"a resumed without h is refused", "<resumed xmlns='urn:xmpp:sm:3' previd='a'/>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decode(t, tt.xml).(*sasl2.Element)
			var err error
			if e.Name.Local == "resume" {
				_, err = bind2.ParseResume(*e)
			} else {
				_, err = bind2.ParseResumed(*e)
			}
			if (err == nil) != tt.ok {
				t.Errorf("error %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestParseIsLenientWhereItMayBe(t *testing.T) {
	e := decode(t, "<enabled xmlns='urn:xmpp:sm:3' id='a' resume='1' max='lots'/>").(*sasl2.Element)
	en, err := bind2.ParseSMEnabled(*e)
	if err != nil || !en.Resume || en.Max != 0 {
		t.Errorf("Prosody's resume='1': %+v, %v", en, err)
	}
	e = decode(t, "<failed xmlns='urn:xmpp:sm:3' h='x'><bogus xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>").(*sasl2.Element)
	f, err := bind2.ParseSMFailed(*e)
	if err != nil || f.HasH || f.Err.Condition != bind2.UndefinedCondition {
		t.Errorf("failed %+v, %v", f, err)
	}
	e = decode(t, "<failed xmlns='urn:xmpp:bind:0'/>").(*sasl2.Element)
	bf, err := bind2.ParseFailed(*e)
	if err != nil || bf.Err.Condition != bind2.UndefinedCondition {
		t.Errorf("failed %+v, %v", bf, err)
	}
}

func TestParseRefusesOtherElements(t *testing.T) {
	e := decode(t, "<bind xmlns='urn:xmpp:bind2:1'><tag>x</tag></bind>").(*sasl2.Element)
	if _, err := bind2.ParseBind(*e); err == nil {
		t.Error("a bind in urn:xmpp:bind2:1 parsed as Bind 2")
	}
	if _, err := bind2.ParseFeature(*e); err == nil {
		t.Error("a feature in urn:xmpp:bind2:1 parsed as Bind 2")
	}
	if _, err := bind2.ParseBound(*e); err == nil {
		t.Error("a bind parsed as bound")
	}
}
