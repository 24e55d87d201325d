package bind2_test

import (
	"testing"

	"github.com/xmppauth/xmppauth/bind2"
	"github.com/xmppauth/xmppauth/internal/xmltest"
	"github.com/xmppauth/xmppauth/sasl2"
)

// clientFeatures are the requests of XEP-0386 Example 3.
func clientFeatures() []sasl2.Element {
	carbons := sasl2.Element{Name: xmlName(bind2.NSCarbons, "enable")}
	csi := sasl2.Element{Name: xmlName(bind2.NSCSI, "inactive")}
	sm := (&bind2.SMEnable{Resume: true}).Element()
	return []sasl2.Element{carbons, sm, sm, csi}
}

func TestClientRequest(t *testing.T) {
	tests := []struct {
		name   string
		inline string
		want   string
	}{{
		name:   "nothing is asked of a server without Bind 2",
		inline: "<sm xmlns='urn:xmpp:sm:3'/>",
	}, {
		name:   "a bind in the old namespace is not Bind 2",
		inline: "<bind xmlns='urn:xmpp:bind2:1'><inline><feature var='urn:xmpp:sm:3'/></inline></bind>",
	}, {
		name:   "a server without inline features gets the tag only",
		inline: "<bind xmlns='urn:xmpp:bind:0'/>",
		want:   "<bind xmlns='urn:xmpp:bind:0'><tag>AwesomeXMPP</tag></bind>",
	}, {
		name: "only features the server lists are asked for, once each",
		inline: `<bind xmlns='urn:xmpp:bind:0'><inline>
		  <feature var='urn:xmpp:sm:3'/><feature var='urn:xmpp:sm:3'/>
		  <feature var='urn:xmpp:csi:0'/>
		</inline></bind>`,
		want: `<bind xmlns='urn:xmpp:bind:0'><tag>AwesomeXMPP</tag>
		  <enable xmlns='urn:xmpp:sm:3' resume='true'/>
		  <inactive xmlns='urn:xmpp:csi:0'/>
		</bind>`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := decode(t, "<authentication xmlns='urn:xmpp:sasl:2'>"+
				"<mechanism>X</mechanism><inline>"+tt.inline+"</inline>"+
				"</authentication>").(*sasl2.Authentication)
			c := &bind2.Client{Tag: "AwesomeXMPP", Features: clientFeatures()}
			got, ok := c.Request(conn(), a.Inline)
			if ok != (tt.want != "") {
				t.Fatalf("asked %v: %s", ok, xmltest.Marshal(got))
			}
			if ok {
				equal(t, got, tt.want)
			}
			if (c.Offered() != nil) != ok {
				t.Errorf("Offered() = %+v", c.Offered())
			}
		})
	}
}

func TestClientLogin(t *testing.T) {
	type want struct {
		jid     string
		bound   bool
		smID    string
		failed  string // the bind failure's condition
		resumed bool
		resumeF string // the resumption failure's condition
	}
	tests := []struct {
		name   string
		prevID string
		host   *recorder
		want   want
	}{{
		name: "a client is bound with stream management",
		host: &recorder{},
		want: want{jid: exampleClientJID, bound: true, smID: "sm-new"},
	}, {
		name:   "a client resumes a live stream and binds nothing",
		prevID: live,
		host:   &recorder{},
		want:   want{jid: oldJID, resumed: true},
	}, {
		name:   "a client that cannot resume is bound anew",
		prevID: "sm-EXPIRED",
		host:   &recorder{},
		want: want{jid: exampleClientJID, bound: true, smID: "sm-new",
			resumeF: bind2.ItemNotFound},
	}, {
		name: "a client whose bind failed has a bare JID and knows why",
		host: &recorder{bindErr: &bind2.StanzaError{Condition: bind2.Conflict}},
		want: want{jid: "alice@example.org", failed: bind2.Conflict},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &bind2.Client{Tag: "ExampleClient", Features: clientFeatures()}
			sm := &bind2.ClientSM{}
			if tt.prevID != "" {
				sm.Resume = &bind2.Resume{PrevID: tt.prevID, H: 3}
			}
			cli, _, _ := login(t, tt.host.config(), &sasl2.ClientConfig{
				UserAgent:  &sasl2.UserAgent{ID: clientID},
				Extensions: []sasl2.ClientExtension{sm, c},
			})

			if !cli.Done() || cli.JID() != tt.want.jid {
				t.Errorf("done %v, JID %q; want %q", cli.Done(), cli.JID(), tt.want.jid)
			}
			if (c.Bound() != nil) != tt.want.bound {
				t.Errorf("Bound() = %+v", c.Bound())
			}
			en, _ := c.SM()
			if (en != nil && en.ID == tt.want.smID && en.Resume) != (tt.want.smID != "") {
				t.Errorf("SM() = %+v", en)
			}
			if f := c.Failed(); (f != nil) != (tt.want.failed != "") ||
				f != nil && f.Err.Condition != tt.want.failed {
				t.Errorf("Failed() = %+v", f)
			}
			if r := sm.Resumed(); (r != nil) != tt.want.resumed ||
				r != nil && (r.JID != oldJID || r.H != 4 || r.PrevID != live) {
				t.Errorf("Resumed() = %+v", r)
			}
			if f := sm.Failed(); (f != nil) != (tt.want.resumeF != "") ||
				f != nil && f.Err.Condition != tt.want.resumeF {
				t.Errorf("ClientSM.Failed() = %+v", f)
			}
		})
	}
}

func TestClientWithoutBind2(t *testing.T) {
	c := &bind2.Client{Tag: "ExampleClient"}
	cli, _, _ := login(t, &sasl2.Config{}, &sasl2.ClientConfig{
		Extensions: []sasl2.ClientExtension{c},
	})
	if cli.JID() != "alice@example.org" || c.Offered() != nil || c.Bound() != nil {
		t.Errorf("JID %q, offered %+v, bound %+v", cli.JID(), c.Offered(), c.Bound())
	}
}

func TestClientSMRefusesWhatItDidNotAskFor(t *testing.T) {
	resumed := decode(t, `<success xmlns='urn:xmpp:sasl:2'>
	  <resumed xmlns='urn:xmpp:sm:3' previd='other' h='1'/>
	  <authorization-identifier>`+oldJID+`</authorization-identifier>
	</success>`).(*sasl2.Success)
	sm := decode(t, "<sm xmlns='urn:xmpp:sm:3'/>").(*sasl2.Element)

	tests := []struct {
		name   string
		resume *bind2.Resume
	}{
		{"a resumption nobody asked for", nil},
		{"the resumption of another stream", &bind2.Resume{PrevID: live}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &bind2.ClientSM{Resume: tt.resume}
			c.Request(conn(), []sasl2.Element{*sm})
			if err := c.Success(resumed); err == nil {
				t.Error("accepted")
			}
		})
	}
}
