package scram_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"encoding/base64"
	"fmt"

	"github.com/xmppauth/xmppauth/sasl2"
	"github.com/xmppauth/xmppauth/sasl2/scram"
)

// A server and a client authenticate through the sasl2 state machines. The
// host fills each Conn from its TLS connection; sasl2.Bindings computes the
// channel bindings, here replaced by fixed bytes.
func Example() {
	ctx := context.Background()
	store := &scram.MemoryStore{}
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA512} {
		c, err := scram.NewCredentials(h, "pencil", 0, nil)
		if err != nil {
			panic(err)
		}
		store.Set("juliet", h, c)
	}
	bindings := []sasl2.ChannelBinding{
		{Type: sasl2.TLSExporter, Data: bytes.Repeat([]byte{1}, 32)},
		{Type: sasl2.TLSServerEndPoint, Data: bytes.Repeat([]byte{2}, 32)},
	}
	state := &tls.ConnectionState{Version: tls.VersionTLS13}

	srv := sasl2.NewServer(&sasl2.Config{
		Mechanisms: scram.Mechanisms(&scram.ServerConfig{Store: store}),
	}, &sasl2.Conn{Domain: "capulet.example", TLS: state, Bindings: bindings})
	cli := sasl2.NewClient(&sasl2.ClientConfig{
		Mechanisms: scram.ClientMechanisms("juliet", "pencil", nil),
	}, &sasl2.Conn{TLS: state, Bindings: bindings})

	features, cb := srv.Features()
	a, err := cli.Start(ctx, features, cb)
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Mechanism, string(a.InitialResponse[:16]))
	var el any = a
	for !cli.Done() {
		out, err := srv.Receive(ctx, el)
		if err != nil {
			panic(err)
		}
		if el, err = cli.Receive(ctx, out); err != nil {
			panic(err)
		}
	}
	fmt.Println(cli.JID(), srv.Result().Mechanism)
	// Output:
	// SCRAM-SHA-512-PLUS p=tls-exporter,,
	// juliet@capulet.example SCRAM-SHA-512-PLUS
}

// Derive turns a password into what the server stores. These are the
// inputs of RFC 7677's example.
func ExampleDerive() {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	c, err := scram.Derive(crypto.SHA256, "pencil", salt, 4096)
	if err != nil {
		panic(err)
	}
	fmt.Println(base64.StdEncoding.EncodeToString(c.StoredKey))
	fmt.Println(base64.StdEncoding.EncodeToString(c.ServerKey))
	fmt.Println(c.Verify(crypto.SHA256, "pencil"), c.Verify(crypto.SHA256, "crayon"))

	_, err = scram.Derive(crypto.SHA256, "bell\a", salt, 4096)
	fmt.Println(err)
	// Output:
	// WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=
	// wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=
	// true false
	// scram: password is empty or has a character that SASLprep prohibits
}

func ExampleMechanisms() {
	for _, m := range scram.Mechanisms(&scram.ServerConfig{}) {
		fmt.Println(m.Name())
	}
	// Output:
	// SCRAM-SHA-512-PLUS
	// SCRAM-SHA-256-PLUS
	// SCRAM-SHA-1-PLUS
	// SCRAM-SHA-512
	// SCRAM-SHA-256
	// SCRAM-SHA-1
}

// A client refuses an offer of -PLUS mechanisms whose channel-binding types
// were stripped (XEP-0440 §5, rule 4).
func ExampleClientMechanisms_downgrade() {
	cli := sasl2.NewClient(&sasl2.ClientConfig{
		Mechanisms: scram.ClientMechanisms("juliet", "pencil", nil),
	}, &sasl2.Conn{
		TLS:      &tls.ConnectionState{Version: tls.VersionTLS13},
		Bindings: []sasl2.ChannelBinding{{Type: sasl2.TLSExporter, Data: []byte{1}}},
	})
	_, err := cli.Start(context.Background(), &sasl2.Authentication{
		Mechanisms: []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"},
	}, nil)
	fmt.Println(err)
	// Output:
	// scram: possible downgrade attack: -PLUS offered without channel-binding types
}
