package fast_test

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/sasl2"
	"github.com/xmppauth/xmppauth/sasl2/plain"
)

// A server and a client in memory: the first login uses the password and
// gets a token, the second uses the token.
func Example() {
	ctx := context.Background()

	// The server: a real one keeps 32 random bytes as its sealing key,
	// and a durable Store.
	sealer, _ := fast.NewAESGCM(make([]byte, 32))
	tokens, _ := fast.NewServer(fast.Config{
		Store: fast.NewMemoryStore(), Sealer: sealer,
	})
	verify := func(_ context.Context, user, pass string) error {
		if user != "juliet" || pass != "balcony" {
			return sasl2.Fail(sasl2.NotAuthorized, "")
		}
		return nil
	}
	server := &sasl2.Config{
		Mechanisms: []sasl2.Mechanism{plain.Mechanism(verify)},
		Extensions: []sasl2.Extension{tokens}, // after Bind 2, if any
	}

	// The client: the same user-agent id on every connection.
	const id = "0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60"
	keeper := fast.NewMemoryKeeper()
	fc := fast.NewClient(fast.ClientConfig{
		Keeper: keeper, Account: "juliet@example.org", ClientID: id,
	})
	client := &sasl2.ClientConfig{
		Mechanisms: []sasl2.ClientMechanism{
			plain.ClientMechanism("juliet", "balcony", nil)},
		UserAgent:  &sasl2.UserAgent{ID: id},
		Extensions: []sasl2.ClientExtension{fc},
	}

	for range 2 {
		// Each connection: TLS 1.3 with its tls-exporter data.
		cs := &tls.ConnectionState{Version: tls.VersionTLS13}
		cb := []sasl2.ChannelBinding{
			{Type: sasl2.TLSExporter, Data: make([]byte, 32)}}
		s := sasl2.NewServer(server, &sasl2.Conn{
			Domain: "example.org", TLS: cs, Bindings: cb})
		c := sasl2.NewClient(client, &sasl2.Conn{
			Domain: "example.org", TLS: cs, Bindings: cb})

		features, cbFeature := s.Features()
		auth, _ := c.Start(ctx, features, cbFeature)
		reply, _ := s.Receive(ctx, auth)
		if _, err := c.Receive(ctx, reply); err != nil {
			// On fast.ErrRejected: connect again and authenticate.
			fmt.Println(fc.Failed(err))
			continue
		}
		fmt.Println(c.Mechanism(), c.JID(), fc.HasToken())
	}
	// Output:
	// PLAIN juliet@example.org true
	// HT-SHA-512-EXPR juliet@example.org true
}

func ExampleParseDateTime() {
	for _, s := range []string{
		"2030-01-02T05:04:05.5+02:00",
		"2030-01-02T03:04:05+0200",
	} {
		t, err := fast.ParseDateTime(s)
		fmt.Println(t, err)
	}
	// Output:
	// 2030-01-02 03:04:05.5 +0000 UTC <nil>
	// 0001-01-01 00:00:00 +0000 UTC fast: not an XEP-0082 DateTime
}

func ExampleMechanisms() {
	names := fast.Mechanisms()
	fmt.Println(len(names), names[0], names[4], names[len(names)-1])
	// Output:
	// 20 HT-SHA-512-EXPR HT-SHA-256-EXPR HT-SHA-256-NONE
}
