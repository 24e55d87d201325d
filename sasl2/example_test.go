package sasl2_test

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/xmppauth/xmppauth/sasl2"
)

// plain is a toy server mechanism that accepts "juliet" with any password;
// real servers use the scram and plain packages.
type plain struct{}

func (plain) Name() string               { return "PLAIN" }
func (plain) Available(*sasl2.Conn) bool { return true }
func (plain) Start(context.Context, *sasl2.Conn, *sasl2.Authenticate) (sasl2.Exchange, error) {
	return plain{}, nil
}
func (plain) Next(_ context.Context, data []byte) (sasl2.Step, error) {
	if user := strings.Split(string(data), "\x00"); len(user) == 3 && user[1] == "juliet" {
		return sasl2.Step{Done: true, User: "juliet"}, nil
	}
	return sasl2.Step{}, sasl2.Fail(sasl2.NotAuthorized, "")
}

// A server negotiation driven by elements that a host decoded from its
// stream.
func ExampleServer() {
	conn := &sasl2.Conn{Domain: "example.org", TLS: &tls.ConnectionState{}}
	srv := sasl2.NewServer(&sasl2.Config{Mechanisms: []sasl2.Mechanism{plain{}}}, conn)

	features, _ := srv.Features()
	out, _ := xml.Marshal(features)
	fmt.Println(string(out))

	in := `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'>
	  <initial-response>AGp1bGlldABzM2NyM3Q=</initial-response>
	</authenticate>`
	d := xml.NewDecoder(strings.NewReader(in))
	tok, _ := d.Token()
	el, _ := sasl2.Decode(d, tok.(xml.StartElement))

	reply, _ := srv.Receive(context.Background(), el)
	out, _ = xml.Marshal(reply)
	fmt.Println(string(out))
	fmt.Println(srv.Done(), srv.Result().JID)
	// Output:
	// <authentication xmlns="urn:xmpp:sasl:2"><mechanism>PLAIN</mechanism></authentication>
	// <success xmlns="urn:xmpp:sasl:2"><authorization-identifier>juliet@example.org</authorization-identifier></success>
	// true juliet@example.org
}

// Bad input ends in a failure with an RFC 6120 condition, and the stream
// may try again.
func ExampleFailure() {
	conn := &sasl2.Conn{Domain: "example.org", TLS: &tls.ConnectionState{}}
	srv := sasl2.NewServer(&sasl2.Config{Mechanisms: []sasl2.Mechanism{plain{}}}, conn)
	srv.Features()

	reply, _ := srv.Receive(context.Background(), &sasl2.Authenticate{Mechanism: "DIGEST-MD5"})
	out, _ := xml.Marshal(reply)
	fmt.Println(string(out))
	// Output:
	// <failure xmlns="urn:xmpp:sasl:2"><invalid-mechanism xmlns="urn:ietf:params:xml:ns:xmpp-sasl"></invalid-mechanism></failure>
}
