package scram

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
)

// The RFC 7677 login that the field cases reuse.
const (
	rfcUser        = "user"
	rfcPassword    = "pencil"
	rfcSalt        = "W22ZaJ0SNY7soEsUEjb6gQ=="
	rfcClientNonce = "rOprNGfwEbeRWgbNEkqO"
	rfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
)

// Fake channel-binding data for a TLS 1.3 connection.
var (
	fakeExporter = bytes.Repeat([]byte{0xee}, 32)
	fakeEndPoint = bytes.Repeat([]byte{0xcc}, 32)
	tls13        = &tls.ConnectionState{
		Version: tls.VersionTLS13, HandshakeComplete: true,
	}
)

func tls13Bindings() []sasl2.ChannelBinding {
	return []sasl2.ChannelBinding{
		{Type: sasl2.TLSExporter, Data: fakeExporter},
		{Type: sasl2.TLSServerEndPoint, Data: fakeEndPoint},
	}
}

func unb64(t testing.TB, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rfcStore holds user/pencil with the RFC 7677 salt for every hash.
func rfcStore(t testing.TB) *MemoryStore {
	t.Helper()
	s := &MemoryStore{}
	salt, _ := base64.StdEncoding.DecodeString(rfcSalt)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA512} {
		c, err := Derive(h, rfcPassword, salt, 4096)
		if err != nil {
			t.Fatal(err)
		}
		s.Set(rfcUser, h, c)
	}
	return s
}

// proof computes the client proof for password over the three messages,
// as a client would, whatever they contain.
func proof(t testing.TB, h crypto.Hash, password string, salt []byte,
	iter int, bare, serverFirst, withoutProof string) string {
	t.Helper()
	salted, err := saltedPassword(h, password, salt, iter)
	if err != nil {
		t.Fatal(err)
	}
	ck, stored, _ := keys(h, salted)
	p := mac(h, stored, []byte(bare+","+serverFirst+","+withoutProof))
	for i := range p {
		p[i] ^= ck[i]
	}
	return base64.StdEncoding.EncodeToString(p)
}

// finish builds a client-final that carries cbind in c= and nonce in r=,
// with a proof that is right for the message as sent: only the server's
// own checks of c= and r= can catch it (BC-16).
func finish(t testing.TB, h crypto.Hash, first, serverFirst string,
	cbind []byte, nonce string) string {
	t.Helper()
	m, err := parseClientFirst(first)
	if err != nil {
		t.Fatal(err)
	}
	var salt []byte
	var iter int
	for _, f := range strings.Split(serverFirst, ",") {
		switch {
		case strings.HasPrefix(f, "s="):
			salt, _ = base64.StdEncoding.DecodeString(f[2:])
		case strings.HasPrefix(f, "i="):
			for _, d := range f[2:] {
				iter = iter*10 + int(d-'0')
			}
		case strings.HasPrefix(f, "r=") && nonce == "":
			nonce = f[2:]
		}
	}
	wp := "c=" + base64.StdEncoding.EncodeToString(cbind) + ",r=" + nonce
	return wp + ",p=" + proof(t, h, rfcPassword, salt, iter, m.bare,
		serverFirst, wp)
}

// newCoreServer returns a sasl2 server on a TLS 1.3 stream from
// user@example.org that offers the named mechanisms, with the RFC 7677
// server nonce.
func newCoreServer(t testing.TB, store Store, bindings []sasl2.ChannelBinding,
	names ...string) (*sasl2.Server, *sasl2.Conn) {
	t.Helper()
	cfg := &ServerConfig{
		Store: store, Secret: []byte("test secret"), fixedNonce: rfcServerNonce,
	}
	var mechs []sasl2.Mechanism
	for _, n := range names {
		m, err := Mechanism(n, cfg)
		if err != nil {
			t.Fatal(err)
		}
		mechs = append(mechs, m)
	}
	conn := &sasl2.Conn{
		Domain: "example.org", From: "user@example.org",
		TLS: tls13, Bindings: bindings,
	}
	srv := sasl2.NewServer(&sasl2.Config{Mechanisms: mechs}, conn)
	if a, _ := srv.Features(); a == nil {
		t.Fatal("no features")
	}
	return srv, conn
}

// failureOf returns the condition of a *sasl2.Failure element, or "".
func failureOf(el any) sasl2.Condition {
	if f, ok := el.(*sasl2.Failure); ok {
		return f.Condition
	}
	return ""
}

// login runs a sasl2 client against a sasl2 server in memory. It returns
// the server's last element and the client's error.
func login(t testing.TB, srv *sasl2.Server, cli *sasl2.Client) (any, error) {
	t.Helper()
	ctx := context.Background()
	feat, cb := srv.Features()
	a, err := cli.Start(ctx, feat, cb)
	if err != nil {
		return nil, err
	}
	var toServer any = a
	for {
		out, err := srv.Receive(ctx, toServer)
		if err != nil {
			t.Fatalf("server: %v", err)
		}
		back, cerr := cli.Receive(ctx, out)
		switch out.(type) {
		case *sasl2.Success, *sasl2.Failure:
			return out, cerr
		}
		if cerr != nil {
			if back != nil {
				srv.Receive(ctx, back)
			}
			return out, cerr
		}
		toServer = back
	}
}

// transcript is one exchange run directly, without the core.
type transcript struct {
	clientFirst, serverFirst, clientFinal, serverFinal []byte
}

// converse runs client exchange c against server exchange s and returns
// the messages and the first error of either side.
func converse(c sasl2.ClientExchange, s sasl2.Exchange) (transcript, error) {
	ctx := context.Background()
	var tr transcript
	var err error
	var st sasl2.Step
	if tr.clientFirst, err = c.Initial(); err != nil {
		return tr, err
	}
	if st, err = s.Next(ctx, tr.clientFirst); err != nil {
		return tr, err
	}
	tr.serverFirst = st.Challenge
	if tr.clientFinal, err = c.Next(tr.serverFirst); err != nil {
		return tr, err
	}
	if st, err = s.Next(ctx, tr.clientFinal); err != nil {
		return tr, err
	}
	if !st.Done {
		return tr, errors.New("server not done after client-final")
	}
	tr.serverFinal = st.AdditionalData
	return tr, c.Verify(tr.serverFinal)
}
