package bind2_test

import (
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/xmppauth/xmppauth/bind2"
	"github.com/xmppauth/xmppauth/internal/xmltest"
	"github.com/xmppauth/xmppauth/sasl2"
)

// Resources that the derivation gives alice@example.org with the test
// secret and clientID. They pin the derivation: changing it moves every
// client of every deployment to a new resource.
const (
	exampleClientJID = "alice@example.org/ExampleClient/eV3vi4qUkrJy"
	awesomeJID       = "alice@example.org/AwesomeXMPP/p2GaPp2U_fVl"
	untaggedJID      = "alice@example.org/UFE6J3RTo9Tf"
)

// bc19 is the <authenticate> of field case BC-19 without its <resume>.
const bc19 = "<user-agent id='" + clientID + "'/>" +
	"<bind xmlns='urn:xmpp:bind:0'><tag>ExampleClient</tag>" +
	"<enable xmlns='urn:xmpp:sm:3' resume='true'/></bind>"

const enabled = "<enabled xmlns='urn:xmpp:sm:3' id='sm-new' resume='true' max='300'/>"

// bound is the <success> that binds jid with stream management enabled,
// after the given other children.
func bound(jid, before string) string {
	return "<success xmlns='urn:xmpp:sasl:2'>" + before +
		"<bound xmlns='urn:xmpp:bind:0'>" + enabled + "</bound>" +
		"<authorization-identifier>" + jid + "</authorization-identifier>" +
		"</success>"
}

func TestFeatureAdvertisesInlineFeatures(t *testing.T) {
	h := &recorder{}
	s := newServer(t, h.config())
	a, _ := s.Features()
	equal(t, a, `<authentication xmlns='urn:xmpp:sasl:2'>
	  <mechanism>TEST-PLAIN</mechanism>
	  <inline>
	    <sm xmlns='urn:xmpp:sm:3'/>
	    <bind xmlns='urn:xmpp:bind:0'><inline>
	      <feature var='urn:xmpp:carbons:2'/>
	      <feature var='urn:xmpp:csi:0'/>
	      <feature var='urn:xmpp:sm:3'/>
	    </inline></bind>
	  </inline>
	</authentication>`)
}

func TestNothingIsOfferedWithoutHooks(t *testing.T) {
	cfg := &sasl2.Config{Extensions: []sasl2.Extension{
		bind2.NewSM(bind2.SMConfig{}),
		bind2.New(bind2.Config{Features: []string{bind2.NSSM}}),
	}}
	s := newServer(t, cfg)
	a, _ := s.Features()
	if len(a.Inline) != 0 {
		t.Errorf("inline features offered: %s", xmltest.Marshal(a))
	}
	out := send(t, s, authenticate(bc19+
		"<resume xmlns='urn:xmpp:sm:3' previd='x' h='1'/>"))
	equal(t, out, `<success xmlns='urn:xmpp:sasl:2'>
	  <authorization-identifier>alice@example.org</authorization-identifier>
	</success>`)
}

// TestBindRequest follows XEP-0386 Example 3: tag and three features.
func TestBindRequest(t *testing.T) {
	h := &recorder{}
	s := newServer(t, h.config())
	out := send(t, s, authenticate(`<user-agent id='`+clientID+`'/>
	  <bind xmlns='urn:xmpp:bind:0'>
	    <tag>AwesomeXMPP</tag>
	    <enable xmlns='urn:xmpp:carbons:2'/>
	    <enable xmlns='urn:xmpp:sm:3'/>
	    <inactive xmlns='urn:xmpp:csi:0'/>
	  </bind>`))

	equal(t, out, bound(awesomeJID, ""))
	if len(h.binds) != 1 {
		t.Fatalf("Bind called %d times, want once", len(h.binds))
	}
	req := h.binds[0]
	if req.Tag != "AwesomeXMPP" || "alice@example.org/"+req.Resource != awesomeJID ||
		req.JID != awesomeJID {
		t.Errorf("request: tag %q, resource %q, JID %q", req.Tag, req.Resource, req.JID)
	}
	if !req.Carbons() || req.CSI() != "inactive" || req.SM() == nil || req.SM().Resume {
		t.Errorf("features: carbons %v, CSI %q, SM %+v", req.Carbons(), req.CSI(), req.SM())
	}
	r := h.results[0]
	if r.JID != "alice@example.org" || r.ClientID != clientID || r.User != "alice" {
		t.Errorf("Bind saw the result %+v", r)
	}
	if got := s.Result().JID; got != awesomeJID {
		t.Errorf("Result().JID = %q, want %q", got, awesomeJID)
	}
}

// TestBC19 runs the cases of field case BC-19: inline resumption and
// enablement of stream management with Bind 2.
func TestBC19(t *testing.T) {
	resume := func(previd string) string {
		return "<resume xmlns='urn:xmpp:sm:3' previd='" + previd + "' h='3'/>"
	}
	tests := []struct {
		name     string
		children string
		password string
		want     string
		binds    int
		resumes  int
		bound    bool
		resumed  bool
	}{{
		name:     "A: a live stream is resumed and the bind request ignored",
		children: bc19 + resume(live),
		want: `<success xmlns='urn:xmpp:sasl:2'>
		  <resumed xmlns='urn:xmpp:sm:3' previd='sm-PLACEHOLDER' h='4'/>
		  <authorization-identifier>` + oldJID + `</authorization-identifier>
		</success>`,
		resumes: 1, resumed: true,
	}, {
		name:     "B: an unknown stream fails to resume and a new one is bound",
		children: bc19 + resume("sm-EXPIRED"),
		want: bound(exampleClientJID, `<failed xmlns='urn:xmpp:sm:3'>
		  <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
		</failed>`),
		binds: 1, resumes: 1, bound: true,
	}, {
		name:     "C: a failed authentication neither resumes nor binds",
		children: bc19 + resume(live),
		password: "wrong",
		want: `<failure xmlns='urn:xmpp:sasl:2'>
		  <not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
		</failure>`,
	}, {
		name:     "D: without resume a stream is bound with stream management",
		children: bc19,
		want:     bound(exampleClientJID, ""),
		binds:    1, bound: true,
	}, {
		name: "E: a bind in the old namespace is not Bind 2",
		children: "<user-agent id='" + clientID + "'/>" +
			"<bind xmlns='urn:xmpp:bind2:1'><tag>ExampleClient</tag>" +
			"<enable xmlns='urn:xmpp:sm:3' resume='true'/></bind>",
		want: `<success xmlns='urn:xmpp:sasl:2'>
		  <authorization-identifier>alice@example.org</authorization-identifier>
		</success>`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			s := newServer(t, h.config())
			el := authenticate(tt.children)
			if tt.password != "" {
				el = strings.Replace(el, initial, "YWxpY2UAd3Jvbmc=", 1)
			}
			equal(t, send(t, s, el), tt.want)
			if len(h.binds) != tt.binds || len(h.resumes) != tt.resumes {
				t.Errorf("Bind called %d times, Resume %d times; want %d, %d",
					len(h.binds), len(h.resumes), tt.binds, tt.resumes)
			}
			r := s.Result()
			if bind2.IsBound(r) != tt.bound || bind2.IsResumed(r) != tt.resumed {
				t.Errorf("IsBound %v, IsResumed %v; want %v, %v",
					bind2.IsBound(r), bind2.IsResumed(r), tt.bound, tt.resumed)
			}
		})
	}
}

// TestBC20 runs the cases of field case BC-20: user-agent ids and tags.
func TestBC20(t *testing.T) {
	long := strings.Repeat("x", 2000)
	longest := strings.Repeat("é", bind2.MaxTag/2)
	tests := []struct {
		name   string
		ua     *sasl2.UserAgent
		tag    string
		extra  []sasl2.Element
		stable bool
		want   string // the resource without its suffix
	}{{
		name:   "1: the same id gets the same resource on every connection",
		ua:     &sasl2.UserAgent{ID: clientID},
		tag:    "ExampleClient",
		stable: true, want: "ExampleClient/",
	}, {
		name:   "2: an id in upper case is the same client",
		ua:     &sasl2.UserAgent{ID: strings.ToUpper(clientID)},
		tag:    "ExampleClient",
		stable: true, want: "ExampleClient/",
	}, {
		name: "3: a user agent without an id gets a random resource",
		ua:   &sasl2.UserAgent{Software: "ExampleClient"},
		tag:  "ExampleClient",
		extra: []sasl2.Element{{
			Name: xmlName("urn:xmpp:fast:0", "request-token"),
		}},
		want: "ExampleClient/",
	}, {
		name: "4: no user agent gets a random resource",
		tag:  "ExampleClient",
		want: "ExampleClient/",
	}, {
		name: "5: an id that is no UUID is treated as absent",
		ua:   &sasl2.UserAgent{ID: "laptop-1"},
		tag:  "ExampleClient",
		want: "ExampleClient/",
	}, {
		name: "5: an id in braces is treated as absent",
		ua:   &sasl2.UserAgent{ID: "{" + clientID + "}"},
		tag:  "ExampleClient",
		want: "ExampleClient/",
	}, {
		name: "5: a urn:uuid id is treated as absent",
		ua:   &sasl2.UserAgent{ID: "urn:uuid:" + clientID},
		tag:  "ExampleClient",
		want: "ExampleClient/",
	}, {
		name: "5: an id without hyphens is treated as absent",
		ua:   &sasl2.UserAgent{ID: strings.ReplaceAll(clientID, "-", "")},
		tag:  "ExampleClient",
		want: "ExampleClient/",
	}, {
		name:   "6: a tag with U+0007 is dropped",
		ua:     &sasl2.UserAgent{ID: clientID},
		tag:    "Example\u0007Client",
		stable: true, want: "",
	}, {
		name:   "6: a tag with a tab is dropped",
		ua:     &sasl2.UserAgent{ID: clientID},
		tag:    "Example\tClient",
		stable: true, want: "",
	}, {
		name:   "6: a tag of 2000 octets is dropped",
		ua:     &sasl2.UserAgent{ID: clientID},
		tag:    long,
		stable: true, want: "",
	}, {
		name:   "6: a tag of MaxTag octets fills the resource",
		ua:     &sasl2.UserAgent{ID: clientID},
		tag:    longest,
		stable: true, want: longest + "/",
	}, {
		name:   "6: a tag in XML white space loses it",
		ua:     &sasl2.UserAgent{ID: clientID},
		tag:    "\n  ExampleClient\n",
		stable: true, want: "ExampleClient/",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			var jids []string
			for range 2 {
				bind := bind2.Bind{Tag: tt.tag}
				a := &sasl2.Authenticate{
					Mechanism:       mechName,
					InitialResponse: []byte("alice\x00" + password),
					UserAgent:       tt.ua,
					Extensions:      append([]sasl2.Element{bind.Element()}, tt.extra...),
				}
				s := newServer(t, h.config())
				out, err := s.Receive(context.Background(), a)
				if err != nil {
					t.Fatal(err)
				}
				ok := success(t, wire(t, out))
				if len(ok.Extensions) != 1 || ok.Extensions[0].Name.Local != "bound" {
					t.Errorf("success carries %s", xmltest.Marshal(ok))
				}
				jids = append(jids, ok.AuthorizationIdentifier)
			}

			for _, jid := range jids {
				res, ok := strings.CutPrefix(jid, "alice@example.org/")
				if !ok || !strings.HasPrefix(res, tt.want) ||
					len(res) != len(tt.want)+bind2.SuffixLen {
					t.Errorf("resource %q, want %q and a suffix", res, tt.want)
				}
				checkResource(t, res)
				checkPrivate(t, res)
			}
			if (jids[0] == jids[1]) != tt.stable {
				t.Errorf("resources %q and %q; stable: %v", jids[0], jids[1], tt.stable)
			}
		})
	}
}

// checkResource fails t unless res is a valid resourcepart.
func checkResource(t testing.TB, res string) {
	t.Helper()
	if res == "" || len(res) > bind2.MaxResource || !utf8.ValidString(res) {
		t.Errorf("resource %q is not a resourcepart", res)
	}
	if i := strings.IndexFunc(res, unicode.IsControl); i >= 0 {
		t.Errorf("resource %q has a control character", res)
	}
}

// checkPrivate fails t if res reveals the user-agent id.
func checkPrivate(t testing.TB, res string) {
	t.Helper()
	plain := strings.ReplaceAll(clientID, "-", "")
	for _, id := range []string{clientID, plain, strings.ToUpper(plain)} {
		if strings.Contains(strings.ToLower(res), id) {
			t.Errorf("resource %q exposes the user-agent id", res)
		}
	}
}

func TestResourcesDifferByTagAndAccount(t *testing.T) {
	for _, jid := range []string{exampleClientJID, awesomeJID, untaggedJID} {
		res, _ := strings.CutPrefix(jid, "alice@example.org/")
		checkResource(t, res)
		checkPrivate(t, res)
	}
	suffix := func(jid string) string { return jid[len(jid)-bind2.SuffixLen:] }
	if suffix(exampleClientJID) == suffix(awesomeJID) {
		t.Error("the suffix links two tags of one device")
	}
}

func TestRandomResources(t *testing.T) {
	bind := "<bind xmlns='urn:xmpp:bind:0'><tag>Web</tag></bind>"
	cfg := func(r bind2.Config) *sasl2.Config {
		r.Bind = (&recorder{}).bind
		return &sasl2.Config{Extensions: []sasl2.Extension{bind2.New(r)}}
	}

	t.Run("without a secret even a valid id gets a random resource", func(t *testing.T) {
		c := cfg(bind2.Config{Rand: zeros{}})
		out := send(t, newServer(t, c), authenticate("<user-agent id='"+clientID+"'/>"+bind))
		if got := success(t, out).AuthorizationIdentifier; got != "alice@example.org/Web/AAAAAAAAAAAA" {
			t.Errorf("JID %q, want the suffix from Rand", got)
		}
	})
	t.Run("a failing source of randomness fails the bind", func(t *testing.T) {
		c := cfg(bind2.Config{Rand: broken{}})
		equal(t, send(t, newServer(t, c), authenticate(bind)), `<success xmlns='urn:xmpp:sasl:2'>
		  <failed xmlns='urn:xmpp:bind:0'><error type='cancel'>
		    <internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
		  </error></failed>
		  <authorization-identifier>alice@example.org</authorization-identifier>
		</success>`)
	})
	t.Run("without a tag the resource is the suffix alone", func(t *testing.T) {
		c := cfg(bind2.Config{Rand: zeros{}})
		out := send(t, newServer(t, c), authenticate("<bind xmlns='urn:xmpp:bind:0'/>"))
		if got := success(t, out).AuthorizationIdentifier; got != "alice@example.org/AAAAAAAAAAAA" {
			t.Errorf("JID %q", got)
		}
	})
}

func TestFeatureRequests(t *testing.T) {
	h := &recorder{}
	s := newServer(t, h.config())
	// xmpp.js sends one SM <enable/> per SM feature it sees advertised.
	out := send(t, s, authenticate(`<user-agent id='`+clientID+`'/>
	  <bind xmlns='urn:xmpp:bind:0'>
	    <tag>AwesomeXMPP</tag>
	    <enable xmlns='urn:xmpp:sm:3' resume='true'/>
	    <enable xmlns='urn:xmpp:sm:3' resume='true'/>
	    <active xmlns='urn:xmpp:csi:0'/>
	    <inactive xmlns='urn:xmpp:csi:0'/>
	    <enable xmlns='urn:xmpp:carbons:2'/>
	    <enable xmlns='urn:xmpp:carbons:2'/>
	    <enable xmlns='urn:example:unadvertised'/>
	    <bound xmlns='urn:xmpp:bind:0'/>
	  </bind>`))
	equal(t, out, bound(awesomeJID, ""))

	req := h.binds[0]
	var names []string
	for _, e := range req.Features {
		names = append(names, e.Name.Space+" "+e.Name.Local)
	}
	want := []string{
		"urn:xmpp:sm:3 enable", "urn:xmpp:csi:0 active",
		"urn:xmpp:carbons:2 enable",
	}
	if strings.Join(names, ", ") != strings.Join(want, ", ") {
		t.Errorf("features %q, want %q", names, want)
	}
	if !req.SM().Resume || req.CSI() != "active" || !req.Carbons() {
		t.Errorf("SM %+v, CSI %q, carbons %v", req.SM(), req.CSI(), req.Carbons())
	}
}

func TestOnlyTheFirstBindCounts(t *testing.T) {
	h := &recorder{}
	s := newServer(t, h.config())
	out := send(t, s, authenticate(`<user-agent id='`+clientID+`'/>
	  <bind xmlns='urn:xmpp:bind:0'><tag>AwesomeXMPP</tag></bind>
	  <bind xmlns='urn:xmpp:bind:0'><tag>Other</tag></bind>`))
	if got := success(t, out).AuthorizationIdentifier; got != awesomeJID {
		t.Errorf("JID %q, want %q", got, awesomeJID)
	}
	if len(h.binds) != 1 {
		t.Errorf("Bind called %d times", len(h.binds))
	}
}

func TestBindFailure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{{
		name: "a stanza error is sent in failed and the JID stays bare",
		err: &bind2.StanzaError{
			Type: "wait", Condition: bind2.ResourceConstraint, Text: "too many sessions",
		},
		want: `<success xmlns='urn:xmpp:sasl:2'>
		  <failed xmlns='urn:xmpp:bind:0'><error type='wait'>
		    <resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
		    <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>too many sessions</text>
		  </error></failed>
		  <authorization-identifier>alice@example.org</authorization-identifier>
		</success>`,
	}, {
		name: "an undefined condition and type are sent as defined ones",
		err:  &bind2.StanzaError{Type: "bogus", Condition: "<bogus>"},
		want: `<success xmlns='urn:xmpp:sasl:2'>
		  <failed xmlns='urn:xmpp:bind:0'><error type='cancel'>
		    <undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
		  </error></failed>
		  <authorization-identifier>alice@example.org</authorization-identifier>
		</success>`,
	}, {
		name: "any other error is internal-server-error and says nothing more",
		err:  errors.New("database at 10.0.0.7 is down"),
		want: `<success xmlns='urn:xmpp:sasl:2'>
		  <failed xmlns='urn:xmpp:bind:0'><error type='cancel'>
		    <internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
		  </error></failed>
		  <authorization-identifier>alice@example.org</authorization-identifier>
		</success>`,
	}, {
		name: "a SASL failure fails the whole authentication",
		err:  sasl2.Fail(sasl2.AccountDisabled, ""),
		want: `<failure xmlns='urn:xmpp:sasl:2'>
		  <account-disabled xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
		</failure>`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{bindErr: tt.err}
			s := newServer(t, h.config())
			equal(t, send(t, s, authenticate(bc19)), tt.want)
		})
	}
}

func TestUnansweredStreamManagementFails(t *testing.T) {
	h := &recorder{noSM: true}
	s := newServer(t, h.config())
	equal(t, send(t, s, authenticate(bc19)), `<success xmlns='urn:xmpp:sasl:2'>
	  <bound xmlns='urn:xmpp:bind:0'>
	    <failed xmlns='urn:xmpp:sm:3'>
	      <internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
	    </failed>
	  </bound>
	  <authorization-identifier>`+exampleClientJID+`</authorization-identifier>
	</success>`)
}

func TestResumeFailures(t *testing.T) {
	failedThenBound := func(failed string) string {
		return bound(exampleClientJID, failed)
	}
	tests := []struct {
		name   string
		resume func(context.Context, *sasl2.Result, *bind2.Resume) (*bind2.Resumed, error)
		el     string
		want   string
	}{{
		name: "a resume without h is a bad request",
		el:   "<resume xmlns='urn:xmpp:sm:3' previd='sm-PLACEHOLDER'/>",
		want: failedThenBound(`<failed xmlns='urn:xmpp:sm:3'>
		  <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`),
	}, {
		name: "a count that is known is sent with the failure",
		resume: func(context.Context, *sasl2.Result, *bind2.Resume) (*bind2.Resumed, error) {
			return nil, &bind2.SMFailed{H: 7, HasH: true,
				Err: bind2.StanzaError{Condition: bind2.ItemNotFound}}
		},
		want: failedThenBound(`<failed xmlns='urn:xmpp:sm:3' h='7'>
		  <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`),
	}, {
		name: "a stanza error is sent in failed",
		resume: func(context.Context, *sasl2.Result, *bind2.Resume) (*bind2.Resumed, error) {
			return nil, &bind2.StanzaError{Condition: bind2.FeatureNotImplemented}
		},
		want: failedThenBound(`<failed xmlns='urn:xmpp:sm:3'>
		  <feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`),
	}, {
		name: "any other error is internal-server-error",
		resume: func(context.Context, *sasl2.Result, *bind2.Resume) (*bind2.Resumed, error) {
			return nil, errors.New("session table locked")
		},
		want: failedThenBound(`<failed xmlns='urn:xmpp:sm:3'>
		  <internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`),
	}, {
		name: "a stream of another account is never resumed",
		resume: func(context.Context, *sasl2.Result, *bind2.Resume) (*bind2.Resumed, error) {
			return &bind2.Resumed{JID: "alice@example.org.evil/x", H: 1}, nil
		},
		want: failedThenBound(`<failed xmlns='urn:xmpp:sm:3'>
		  <internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`),
	}, {
		name: "a resumed stream needs a full JID",
		resume: func(context.Context, *sasl2.Result, *bind2.Resume) (*bind2.Resumed, error) {
			return &bind2.Resumed{JID: "alice@example.org", H: 1}, nil
		},
		want: failedThenBound(`<failed xmlns='urn:xmpp:sm:3'>
		  <internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`),
	}, {
		name: "a SASL failure fails the whole authentication",
		resume: func(context.Context, *sasl2.Result, *bind2.Resume) (*bind2.Resumed, error) {
			return nil, sasl2.Fail(sasl2.CredentialsExpired, "")
		},
		want: `<failure xmlns='urn:xmpp:sasl:2'>
		  <credentials-expired xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></failure>`,
	}, {
		name: "the previd sent is the one asked for",
		resume: func(context.Context, *sasl2.Result, *bind2.Resume) (*bind2.Resumed, error) {
			return &bind2.Resumed{PrevID: "other", JID: oldJID, H: 9}, nil
		},
		want: `<success xmlns='urn:xmpp:sasl:2'>
		  <resumed xmlns='urn:xmpp:sm:3' previd='sm-PLACEHOLDER' h='9'/>
		  <authorization-identifier>` + oldJID + `</authorization-identifier>
		</success>`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			cfg := h.config()
			if tt.resume != nil {
				cfg.Extensions[0] = bind2.NewSM(bind2.SMConfig{Resume: tt.resume})
			}
			el := tt.el
			if el == "" {
				el = "<resume xmlns='urn:xmpp:sm:3' previd='sm-PLACEHOLDER' h='3'/>"
			}
			equal(t, send(t, newServer(t, cfg), authenticate(bc19+el)), tt.want)
		})
	}
}

func TestResumeAfterBindIsRefused(t *testing.T) {
	h := &recorder{}
	cfg := h.config()
	cfg.Extensions[0], cfg.Extensions[1] = cfg.Extensions[1], cfg.Extensions[0]
	out := send(t, newServer(t, cfg), authenticate(bc19+
		"<resume xmlns='urn:xmpp:sm:3' previd='sm-PLACEHOLDER' h='3'/>"))
	equal(t, out, `<success xmlns='urn:xmpp:sasl:2'>
	  <bound xmlns='urn:xmpp:bind:0'>`+enabled+`</bound>
	  <failed xmlns='urn:xmpp:sm:3'>
	    <unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
	  </failed>
	  <authorization-identifier>`+exampleClientJID+`</authorization-identifier>
	</success>`)
	if len(h.resumes) != 0 {
		t.Error("Resume called after Bind")
	}
}

// task passes on its first <task-data>.
type task struct{}

func (task) Name() string { return "TEST-TASK" }

func (task) Start(context.Context, *sasl2.Result, []sasl2.Element) (sasl2.TaskStep, error) {
	return sasl2.TaskStep{Data: []sasl2.Element{{Name: xmlName("urn:example:task", "ask")}}}, nil
}

func (task) Next(context.Context, []sasl2.Element) (sasl2.TaskStep, error) {
	return sasl2.TaskStep{Done: true}, nil
}

func TestBindWaitsForTasks(t *testing.T) {
	h := &recorder{}
	cfg := h.config()
	cfg.Policy = func(context.Context, *sasl2.Result) ([]sasl2.Alternatives, error) {
		return []sasl2.Alternatives{{task{}}}, nil
	}
	s := newServer(t, cfg)

	steps := []string{
		authenticate(bc19),
		"<next xmlns='urn:xmpp:sasl:2' task='TEST-TASK'/>",
		"<task-data xmlns='urn:xmpp:sasl:2'><answer xmlns='urn:example:task'/></task-data>",
	}
	var out any
	for i, el := range steps {
		if len(h.binds) != 0 {
			t.Fatalf("Bind called before step %d", i)
		}
		out = send(t, s, el)
	}
	if got := success(t, out).AuthorizationIdentifier; got != exampleClientJID {
		t.Errorf("JID %q", got)
	}
	if len(h.binds) != 1 || len(h.results[0].Tasks) != 1 {
		t.Errorf("Bind called %d times, after tasks %v", len(h.binds), h.results)
	}
}

func TestFailedAttemptLeavesNothingBehind(t *testing.T) {
	h := &recorder{}
	s := newServer(t, h.config())
	wrong := strings.Replace(authenticate(bc19+
		"<resume xmlns='urn:xmpp:sm:3' previd='sm-PLACEHOLDER' h='3'/>"),
		initial, "YWxpY2UAd3Jvbmc=", 1)
	if _, ok := send(t, s, wrong).(*sasl2.Failure); !ok {
		t.Fatal("wrong password did not fail")
	}
	out := send(t, s, authenticate("<bind xmlns='urn:xmpp:bind:0'/>"))
	ok := success(t, out)
	if len(h.binds) != 1 || len(h.resumes) != 0 || len(ok.Extensions) != 1 {
		t.Errorf("Bind %d, Resume %d times; success %s",
			len(h.binds), len(h.resumes), xmltest.Marshal(ok))
	}
}

// FuzzAuthenticate feeds the server hostile inline requests: it must not
// panic, and whatever it binds is a valid resourcepart.
func FuzzAuthenticate(f *testing.F) {
	f.Add(bc19)
	f.Add(bc19 + "<resume xmlns='urn:xmpp:sm:3' previd='sm-PLACEHOLDER' h='3'/>")
	f.Add("<bind xmlns='urn:xmpp:bind:0'><tag>&#x85;</tag></bind>")
	f.Add("<bind xmlns='urn:xmpp:bind:0'/><resume xmlns='urn:xmpp:sm:3' h='x'/>")
	for _, name := range []string{"xep0386-ex3.xml", "xep0198-ex28.xml"} {
		for _, e := range vector(f, name).(*sasl2.Authenticate).Extensions {
			f.Add(xmltest.Marshal(e))
		}
	}
	f.Fuzz(func(t *testing.T, children string) {
		d := xml.NewDecoder(strings.NewReader(authenticate(children)))
		tok, err := d.Token()
		if err != nil {
			return
		}
		el, err := sasl2.Decode(d, tok.(xml.StartElement))
		if err != nil {
			return
		}
		h := &recorder{}
		s := newServer(t, h.config())
		out, err := s.Receive(context.Background(), el)
		if err != nil {
			return
		}
		if ok, isSuccess := out.(*sasl2.Success); isSuccess {
			jid := ok.AuthorizationIdentifier
			if jid != "alice@example.org" && jid != oldJID {
				res, _ := strings.CutPrefix(jid, "alice@example.org/")
				checkResource(t, res)
			}
			xmltest.Marshal(ok)
		}
	})
}

// BenchmarkSuccess measures a one-round-trip login from a decoded
// <authenticate> to <success>, without and with Bind 2 and stream
// management, to show what binding adds.
func BenchmarkSuccess(b *testing.B) {
	for _, bb := range []struct {
		name     string
		children string
	}{
		{"without bind", "<user-agent id='" + clientID + "'/>"},
		{"with bind", bc19},
	} {
		b.Run(bb.name, func(b *testing.B) {
			el := decode(b, authenticate(bb.children))
			h := &recorder{}
			cfg := h.config()
			cfg.Mechanisms = []sasl2.Mechanism{plain{}}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				h.binds, h.results = h.binds[:0], h.results[:0]
				s := sasl2.NewServer(cfg, conn())
				s.Features()
				if _, err := s.Receive(ctx, el); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// failAfter is an extension configured after Bind 2 whose Success fails,
// as FAST does when it cannot store a token.
type failAfter struct{}

func (failAfter) Namespace() string                           { return "urn:example:after" }
func (failAfter) Advertise(*sasl2.Conn) (sasl2.Element, bool) { return sasl2.Element{}, false }
func (failAfter) Request(context.Context, *sasl2.Conn, *sasl2.Authenticate, []sasl2.Element) (sasl2.Request, error) {
	return failAfter{}, nil
}
func (failAfter) Success(context.Context, *sasl2.Result) error {
	return errors.New("store down")
}

func TestBindIsUndoneWhenALaterExtensionFails(t *testing.T) {
	var unbound []string
	ext := bind2.New(bind2.Config{
		Bind: func(context.Context, *sasl2.Result, *bind2.Request) (*bind2.Bound, error) {
			return &bind2.Bound{}, nil
		},
		Unbind: func(_ context.Context, jid string) { unbound = append(unbound, jid) },
		Secret: secret,
	})
	srv := newServer(t, &sasl2.Config{Extensions: []sasl2.Extension{ext, failAfter{}}})
	out, err := srv.Receive(context.Background(),
		decode(t, authenticate("<bind xmlns='urn:xmpp:bind:0'><tag>T</tag></bind>")))
	if f, ok := out.(*sasl2.Failure); err != nil || !ok || f.Condition != sasl2.TemporaryAuthFailure {
		t.Fatalf("got %#v, %v; want temporary-auth-failure", out, err)
	}
	if len(unbound) != 1 || !strings.HasPrefix(unbound[0], "alice@example.org/T/") {
		t.Errorf("unbound %q, want the JID that was bound", unbound)
	}
}
