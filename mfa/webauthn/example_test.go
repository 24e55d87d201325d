package webauthn_test

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/descope/virtualwebauthn"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/webauthn"
	"github.com/xmppauth/xmppauth/sasl2"
	"github.com/xmppauth/xmppauth/sasl2/plain"
)

// Juliet registers a security key, then logs in with her password and
// the key. A virtual authenticator stands in for the key and for the
// browser, which would tell it the origin of the page.
func Example() {
	ctx := context.Background()
	f, err := webauthn.New(webauthn.Config{
		RPID:    "example.org",
		Origins: []string{"https://example.org"},
		Store:   mfa.NewMemoryStore(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rp := virtualwebauthn.RelyingParty{ID: "example.org",
		Origin: "https://example.org"}
	auth := virtualwebauthn.NewAuthenticator()
	cred := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeRSA)
	auth.AddCredential(cred)

	// Enrolment (docs/mfa.md §6.3): <enrol/> gets the creation options,
	// <confirm/> brings the attestation.
	creation, err := f.Begin(ctx, "juliet", "Blue key")
	if err != nil {
		fmt.Println(err)
		return
	}
	opts, _ := virtualwebauthn.ParseAttestationOptions(creation.JSON)
	attestation := virtualwebauthn.CreateAttestationResponse(rp, auth,
		cred, *opts)
	info, err := f.Finish(ctx, "juliet", attestation)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("enrolled:", info.Type, info.Name)

	// Login: PLAIN, then MFA-WEBAUTHN, which the policy asks of every
	// account with a credential.
	password := func(_ context.Context, user, pass string) error {
		if user != "juliet" || pass != "secret" {
			return sasl2.Fail(sasl2.NotAuthorized, "")
		}
		return nil
	}
	key := func(_ context.Context, request string) (string, error) {
		opts, err := virtualwebauthn.ParseAssertionOptions(request)
		if err != nil {
			return "", err
		}
		return virtualwebauthn.CreateAssertionResponse(rp, auth, cred,
			*opts), nil
	}
	policy := mfa.NewServer(mfa.Config{Factors: []mfa.Factor{f}})
	conn := &sasl2.Conn{Domain: "example.org", TLS: &tls.ConnectionState{}}
	server := sasl2.NewServer(&sasl2.Config{
		Mechanisms: []sasl2.Mechanism{plain.Mechanism(password)},
		Policy:     policy.Policy(),
	}, conn)
	client := sasl2.NewClient(&sasl2.ClientConfig{
		Mechanisms: []sasl2.ClientMechanism{
			plain.ClientMechanism("juliet", "secret", nil)},
		Tasks: []sasl2.ClientTask{webauthn.Client(key)},
	}, conn)

	features, cb := server.Features()
	var msg any
	msg, err = client.Start(ctx, features, cb)
	for err == nil && !client.Done() {
		var reply any
		if reply, err = server.Receive(ctx, msg); err != nil {
			break
		}
		switch r := reply.(type) {
		case *sasl2.Continue:
			fmt.Println("server continues with", r.Tasks)
		case *sasl2.TaskData:
			fmt.Println("server sends", r.Payload[0].Name.Local)
		case *sasl2.Success:
			fmt.Println("server succeeds:", r.AuthorizationIdentifier,
				mfa.ParsePassed(r.Extensions)[0].Task)
		case *sasl2.Failure:
			fmt.Println("server fails:", r.Condition)
		}
		msg, err = client.Receive(ctx, reply)
	}
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// enrolled: webauthn Blue key
	// server continues with [MFA-WEBAUTHN]
	// server sends webauthn-request
	// server succeeds: juliet@example.org MFA-WEBAUTHN
}
