package bind2_test

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/xmppauth/xmppauth/bind2"
	"github.com/xmppauth/xmppauth/sasl2"
)

// A host server offers Bind 2 with inline carbons, CSI and stream
// management. The plain mechanism stands in for SCRAM.
func ExampleNew() {
	ext := bind2.New(bind2.Config{
		Features: []string{bind2.NSCarbons, bind2.NSCSI, bind2.NSSM},
		Secret:   []byte("32 random bytes, kept secret...."),
		Bind: func(ctx context.Context, r *sasl2.Result, req *bind2.Request) (*bind2.Bound, error) {
			// Here the host binds req.JID, drops offline messages, closes
			// the older session of r.ClientID and applies the features.
			fmt.Println("bind", req.JID)
			fmt.Println("carbons", req.Carbons(), "csi", req.CSI())
			b := &bind2.Bound{}
			if en := req.SM(); en != nil {
				sm := bind2.SMEnabled{ID: "sm-1", Resume: en.Resume, Max: 300}
				b.Payload = append(b.Payload, sm.Element())
			}
			return b, nil
		},
	})
	cfg := &sasl2.Config{
		Mechanisms: []sasl2.Mechanism{plain{}},
		Extensions: []sasl2.Extension{ext},
	}
	srv := sasl2.NewServer(cfg, &sasl2.Conn{
		Domain: "example.org",
		TLS:    &tls.ConnectionState{},
	})
	srv.Features()

	in := `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='TEST-PLAIN'>
	  <initial-response>YWxpY2UAc2VjcmV0</initial-response>
	  <user-agent id='0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60'/>
	  <bind xmlns='urn:xmpp:bind:0'>
	    <tag>AwesomeXMPP</tag>
	    <enable xmlns='urn:xmpp:carbons:2'/>
	    <enable xmlns='urn:xmpp:sm:3' resume='true'/>
	    <inactive xmlns='urn:xmpp:csi:0'/>
	  </bind>
	</authenticate>`
	d := xml.NewDecoder(strings.NewReader(in))
	tok, _ := d.Token()
	el, _ := sasl2.Decode(d, tok.(xml.StartElement))

	out, _ := srv.Receive(context.Background(), el)
	b, _ := xml.MarshalIndent(out, "", "  ")
	fmt.Println(string(b))
	// Output:
	// bind alice@example.org/AwesomeXMPP/SvV0wFMxvc0z
	// carbons true csi inactive
	// <success xmlns="urn:xmpp:sasl:2">
	//   <bound xmlns="urn:xmpp:bind:0">
	//     <enabled xmlns="urn:xmpp:sm:3" id="sm-1" resume="true" max="300"></enabled>
	//   </bound>
	//   <authorization-identifier>alice@example.org/AwesomeXMPP/SvV0wFMxvc0z</authorization-identifier>
	// </success>
}

// Inline resumption comes before Bind 2, so that a resumed stream skips
// binding.
func ExampleNewSM() {
	sessions := map[string]string{"sm-1": "alice@example.org/AwesomeXMPP/x"}
	resume := bind2.NewSM(bind2.SMConfig{
		Resume: func(ctx context.Context, r *sasl2.Result, req *bind2.Resume) (*bind2.Resumed, error) {
			jid, ok := sessions[req.PrevID]
			if !ok || !strings.HasPrefix(jid, r.JID+"/") {
				return nil, &bind2.StanzaError{Condition: bind2.ItemNotFound}
			}
			return &bind2.Resumed{JID: jid, H: 12}, nil
		},
	})
	bind := bind2.New(bind2.Config{
		Bind: func(context.Context, *sasl2.Result, *bind2.Request) (*bind2.Bound, error) {
			fmt.Println("never called for a resumed stream")
			return nil, nil
		},
	})
	cfg := &sasl2.Config{
		Mechanisms: []sasl2.Mechanism{plain{}},
		Extensions: []sasl2.Extension{resume, bind},
	}
	srv := sasl2.NewServer(cfg, &sasl2.Conn{
		Domain: "example.org",
		TLS:    &tls.ConnectionState{},
	})
	srv.Features()

	out, _ := srv.Receive(context.Background(), &sasl2.Authenticate{
		Mechanism:       "TEST-PLAIN",
		InitialResponse: []byte("alice\x00secret"),
		Extensions: []sasl2.Element{
			(&bind2.Resume{PrevID: "sm-1", H: 10}).Element(),
			(&bind2.Bind{Tag: "AwesomeXMPP"}).Element(),
		},
	})
	b, _ := xml.MarshalIndent(out, "", "  ")
	fmt.Println(string(b))
	// Output:
	// <success xmlns="urn:xmpp:sasl:2">
	//   <resumed xmlns="urn:xmpp:sm:3" previd="sm-1" h="12"></resumed>
	//   <authorization-identifier>alice@example.org/AwesomeXMPP/x</authorization-identifier>
	// </success>
}

// A client asks for binding with the features the server offers, and
// learns what it got.
func ExampleClient() {
	features := &sasl2.Authentication{
		Mechanisms: []string{"SCRAM-SHA-256"},
		Inline: []sasl2.Element{
			(&bind2.Feature{Inline: []string{bind2.NSSM}}).Element(),
		},
	}
	c := &bind2.Client{
		Tag: "AwesomeXMPP",
		Features: []sasl2.Element{
			{Name: xml.Name{Space: bind2.NSCarbons, Local: "enable"}},
			(&bind2.SMEnable{Resume: true}).Element(),
		},
	}
	req, _ := c.Request(&sasl2.Conn{}, features.Inline)
	b, _ := xml.Marshal(req)
	fmt.Println(string(b))

	// sasl2.Client hands the server's <success> to every extension.
	c.Success(&sasl2.Success{
		AuthorizationIdentifier: "alice@example.org/AwesomeXMPP/SvV0wFMxvc0z",
		Extensions: []sasl2.Element{(&bind2.Bound{Payload: []sasl2.Element{
			(&bind2.SMEnabled{ID: "sm-1", Resume: true}).Element(),
		}}).Element()},
	})
	en, _ := c.SM()
	fmt.Println("bound:", c.Bound() != nil, "sm:", en.ID)
	// Output:
	// <bind xmlns="urn:xmpp:bind:0"><tag>AwesomeXMPP</tag><enable xmlns="urn:xmpp:sm:3" resume="true"></enable></bind>
	// bound: true sm: sm-1
}
