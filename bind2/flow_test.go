package bind2_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"io"
	"testing"

	"github.com/xmppauth/xmppauth/bind2"
	"github.com/xmppauth/xmppauth/internal/sasl2test"
	"github.com/xmppauth/xmppauth/internal/xmltest"
	"github.com/xmppauth/xmppauth/sasl2"
)

// The tests log in as alice@example.org with the TEST-PLAIN mechanism
// below: the initial response is the user name, a NUL and the password.
const (
	domain   = "example.org"
	password = "secret"
	mechName = "TEST-PLAIN"
	// initial is base64("alice\x00secret").
	initial = "YWxpY2UAc2VjcmV0"
	// clientID is the user-agent id of BC-19 and BC-20.
	clientID = "0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60"
)

// secret keys stable resources in the tests.
var secret = []byte("0123456789abcdef0123456789abcdef")

// plain is a server mechanism like PLAIN (RFC 4616) without authzid, for
// alice only.
type plain struct{}

func (plain) Name() string               { return mechName }
func (plain) Available(*sasl2.Conn) bool { return true }
func (plain) Next(_ context.Context, data []byte) (sasl2.Step, error) {
	user, pass, ok := bytes.Cut(data, []byte{0})
	if !ok || string(user) != "alice" || string(pass) != password {
		return sasl2.Step{}, sasl2.Fail(sasl2.NotAuthorized, "")
	}
	return sasl2.Step{Done: true, User: string(user)}, nil
}

func (p plain) Start(context.Context, *sasl2.Conn, *sasl2.Authenticate) (sasl2.Exchange, error) {
	return p, nil
}

// plainClient is the client side of plain.
type plainClient struct{ user, pass string }

func (plainClient) Name() string { return mechName }

func (p plainClient) Start(context.Context, *sasl2.Conn) (sasl2.ClientExchange, error) {
	return p, nil
}

func (p plainClient) Initial() ([]byte, error) {
	return []byte(p.user + "\x00" + p.pass), nil
}

func (plainClient) Next([]byte) ([]byte, error) {
	return nil, errors.New("test: unexpected challenge")
}

func (plainClient) Verify([]byte) error { return nil }

// conn returns a stream description with TLS, which SASL2 requires.
func conn() *sasl2.Conn {
	return &sasl2.Conn{Domain: domain, TLS: &tls.ConnectionState{}}
}

// newServer returns a server negotiation on a fresh stream, with the
// features already offered.
func newServer(t testing.TB, cfg *sasl2.Config) *sasl2.Server {
	t.Helper()
	if cfg.Mechanisms == nil {
		cfg.Mechanisms = []sasl2.Mechanism{plain{}}
	}
	s := sasl2.NewServer(cfg, conn())
	if a, _ := s.Features(); a == nil {
		t.Fatal("no <authentication> feature")
	}
	return s
}

// authenticate returns an <authenticate> with the test credentials and
// the given children, as XML.
func authenticate(children string) string {
	return "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='" + mechName +
		"'><initial-response>" + initial + "</initial-response>" +
		children + "</authenticate>"
}

// decode and wire carry elements through XML.
var (
	decode = sasl2test.Decode
	wire   = sasl2test.Wire
)

// send hands the XML element s to the server and returns its answer after
// a trip through XML.
func send(t testing.TB, s *sasl2.Server, el string) any {
	t.Helper()
	out, err := s.Receive(context.Background(), decode(t, el))
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	return wire(t, out)
}

// success asserts that v is a *sasl2.Success.
func success(t testing.TB, v any) *sasl2.Success {
	t.Helper()
	s, ok := v.(*sasl2.Success)
	if !ok {
		t.Fatalf("got %s, want <success>", xmltest.Marshal(v))
	}
	return s
}

// equal fails t unless got and want have the same meaning as XML.
func equal(t testing.TB, got any, want string) {
	t.Helper()
	g, ok := got.(string)
	if !ok {
		g = xmltest.Marshal(got)
	}
	if ok, diff := xmltest.Equal(g, want); !ok {
		t.Errorf("XML differs:\n%s", diff)
	}
}

// login runs a whole negotiation between a client and a server on one
// stream, every element through XML. It returns the client, the server and
// the last element the server sent.
func login(t testing.TB, scfg *sasl2.Config, ccfg *sasl2.ClientConfig) (*sasl2.Client, *sasl2.Server, any) {
	t.Helper()
	ctx := context.Background()
	srv := newServer(t, scfg)
	a, cb := srv.Features()
	features := wire(t, a).(*sasl2.Authentication)

	if ccfg.Mechanisms == nil {
		ccfg.Mechanisms = []sasl2.ClientMechanism{plainClient{"alice", password}}
	}
	cli := sasl2.NewClient(ccfg, conn())
	var msg any
	msg, err := cli.Start(ctx, features, cb)
	if err != nil {
		t.Fatalf("client start: %v", err)
	}
	for i := 0; i < 10; i++ {
		reply, err := srv.Receive(ctx, wire(t, msg))
		if err != nil {
			t.Fatalf("server: %v", err)
		}
		reply = wire(t, reply)
		msg, err = cli.Receive(ctx, reply)
		switch reply.(type) {
		case *sasl2.Success, *sasl2.Failure:
			if msg != nil {
				t.Fatalf("client answered the end with %s", xmltest.Marshal(msg))
			}
			return cli, srv, reply
		}
		if err != nil {
			t.Fatalf("client: %v", err)
		}
	}
	t.Fatal("negotiation does not end")
	return nil, nil, nil
}

// zeros is a Rand that yields zero bytes, for reproducible resources.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// broken is a Rand that fails.
type broken struct{}

func (broken) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// recorder is a host server for the tests: its hooks record what they
// were given and answer as the fields say.
type recorder struct {
	binds   []*bind2.Request
	results []sasl2.Result
	resumes []*bind2.Resume

	// bindErr, when set, is what Bind returns.
	bindErr error
	// noSM makes Bind ignore a stream management request.
	noSM bool
}

// live is the resumable stream of BC-19.
const live = "sm-PLACEHOLDER"

// oldJID is the full JID of the live stream.
const oldJID = "alice@example.org/ExampleClient/old"

func (h *recorder) bind(_ context.Context, r *sasl2.Result, req *bind2.Request) (*bind2.Bound, error) {
	h.binds = append(h.binds, req)
	h.results = append(h.results, *r)
	if h.bindErr != nil {
		return nil, h.bindErr
	}
	b := &bind2.Bound{}
	if req.SM() != nil && !h.noSM {
		e := bind2.SMEnabled{ID: "sm-new", Resume: true, Max: 300}
		b.Payload = append(b.Payload, e.Element())
	}
	return b, nil
}

func (h *recorder) resume(_ context.Context, r *sasl2.Result, req *bind2.Resume) (*bind2.Resumed, error) {
	h.resumes = append(h.resumes, req)
	if req.PrevID != live {
		return nil, &bind2.SMFailed{Err: bind2.StanzaError{Condition: bind2.ItemNotFound}}
	}
	return &bind2.Resumed{JID: oldJID, H: 4}, nil
}

// config returns a server configuration with inline resumption and Bind 2
// in the right order, offering carbons, CSI and SM.
func (h *recorder) config() *sasl2.Config {
	return &sasl2.Config{Extensions: []sasl2.Extension{
		bind2.NewSM(bind2.SMConfig{Resume: h.resume}),
		bind2.New(bind2.Config{
			Features: []string{bind2.NSCarbons, bind2.NSCSI, bind2.NSSM},
			Bind:     h.bind,
			Secret:   secret,
		}),
	}}
}

func xmlName(space, local string) xml.Name {
	return xml.Name{Space: space, Local: local}
}
