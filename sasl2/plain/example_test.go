package plain_test

import (
	"context"
	"crypto"
	"crypto/tls"
	"fmt"

	"github.com/xmppauth/xmppauth/sasl2"
	"github.com/xmppauth/xmppauth/sasl2/plain"
	"github.com/xmppauth/xmppauth/sasl2/scram"
)

// A server checks PLAIN passwords against the SCRAM credentials it keeps
// for SCRAM-SHA-256, so it never stores the password.
func ExampleMechanism() {
	store := &scram.MemoryStore{}
	c, err := scram.NewCredentials(crypto.SHA256, "pencil", 0, nil)
	if err != nil {
		panic(err)
	}
	store.Set("juliet", crypto.SHA256, c)
	verify := scram.PlainVerifier(&scram.ServerConfig{Store: store}, crypto.SHA256)

	srv := sasl2.NewServer(&sasl2.Config{
		Mechanisms: []sasl2.Mechanism{plain.Mechanism(verify)},
	}, &sasl2.Conn{Domain: "capulet.example", TLS: &tls.ConnectionState{}})
	srv.Features()
	for _, password := range []string{"crayon", "pencil"} {
		out, _ := srv.Receive(context.Background(), &sasl2.Authenticate{
			Mechanism:       plain.Name,
			InitialResponse: []byte("\x00juliet\x00" + password),
		})
		switch out := out.(type) {
		case *sasl2.Failure:
			fmt.Println(out.Condition)
		case *sasl2.Success:
			fmt.Println(out.AuthorizationIdentifier)
		}
	}
	// Output:
	// not-authorized
	// juliet@capulet.example
}
