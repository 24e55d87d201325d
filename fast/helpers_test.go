package fast

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/internal/xmltest"
	"github.com/xmppauth/xmppauth/sasl2"
)

// The tests log in as user@example.org with the password "pencil" and the
// user-agent id of the field cases.
const (
	domain   = "example.org"
	account  = "user@example.org"
	password = "pencil"
	clientID = "0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60"
	plainMec = "TEST-PLAIN"
)

// t0 is the pinned clock of BC-23.
var t0 = time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)

// testKey seals tokens in the tests.
var testKey = bytes.Repeat([]byte{7}, 32)

// exporter is the fake tls-exporter data of the reference digest §3.7.
var exporter = func() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// plain is a password mechanism for the tests: "user NUL password".
type plain struct{}

func (plain) Name() string                 { return plainMec }
func (plain) Available(c *sasl2.Conn) bool { return c.TLS != nil }
func (p plain) Start(context.Context, *sasl2.Conn, *sasl2.Authenticate) (sasl2.Exchange, error) {
	return p, nil
}
func (plain) Next(_ context.Context, data []byte) (sasl2.Step, error) {
	user, pass, ok := bytes.Cut(data, []byte{0})
	if !ok || string(user) != "user" || string(pass) != password {
		return sasl2.Step{}, sasl2.Fail(sasl2.NotAuthorized, "")
	}
	return sasl2.Step{Done: true, User: string(user)}, nil
}

// plainClient is the client side of plain.
type plainClient struct{}

func (plainClient) Name() string { return plainMec }
func (p plainClient) Start(context.Context, *sasl2.Conn) (sasl2.ClientExchange, error) {
	return p, nil
}
func (plainClient) Initial() ([]byte, error) {
	return []byte("user\x00" + password), nil
}
func (plainClient) Next([]byte) ([]byte, error) {
	return nil, errors.New("test: unexpected challenge")
}
func (plainClient) Verify([]byte) error { return nil }

// extra is a client extension that adds fixed children to <authenticate>.
type extra []sasl2.Element

func (x extra) Request(*sasl2.Conn, []sasl2.Element) (sasl2.Element, bool) {
	if len(x) == 0 {
		return sasl2.Element{}, false
	}
	return x[0], true
}
func (extra) Success(*sasl2.Success) error { return nil }

// failingExt is a server extension whose Success always fails, as a
// resource that cannot be bound would.
type failingExt struct{}

func (failingExt) Namespace() string { return "urn:example:failing" }
func (failingExt) Advertise(*sasl2.Conn) (sasl2.Element, bool) {
	return sasl2.Element{}, false
}
func (failingExt) Request(context.Context, *sasl2.Conn, *sasl2.Authenticate,
	[]sasl2.Element) (sasl2.Request, error) {
	return failingExt{}, nil
}
func (failingExt) Success(context.Context, *sasl2.Result) error {
	return errors.New("test: no resource left")
}

// fixture is a FAST server and client with a pinned clock, fixed token
// strings and a memory store.
type fixture struct {
	t      testing.TB
	now    time.Time
	store  *MemoryStore
	srv    *Server
	keeper *MemoryKeeper
	client *Client
	events []Event
	// tokens are handed out in order as token strings, then
	// "fast-token-N".
	tokens []string
	issued int
	// tls and bindings describe every connection.
	tls      tls.ConnectionState
	bindings []sasl2.ChannelBinding
	policy   sasl2.Policy
	// after are extensions that run after FAST on the server.
	after []sasl2.Extension
	// outcomes are the server's sasl2 audit events.
	mu       sync.Mutex
	outcomes []sasl2.Event
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	f := &fixture{
		t: t, now: t0, store: NewMemoryStore(), keeper: NewMemoryKeeper(),
		tls: tls.ConnectionState{Version: tls.VersionTLS13,
			HandshakeComplete: true},
	}
	if cfg.Store == nil {
		cfg.Store = f.store
	}
	if cfg.Sealer == nil {
		cfg.Sealer, _ = NewAESGCM(testKey)
	}
	cfg.Now = func() time.Time { return f.now }
	cfg.Audit = func(e Event) { f.events = append(f.events, e) }
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.token = func() (string, error) {
		f.issued++
		if f.issued <= len(f.tokens) {
			return f.tokens[f.issued-1], nil
		}
		return fmt.Sprintf("fast-token-%d", f.issued), nil
	}
	f.srv = srv
	f.client = NewClient(ClientConfig{
		Keeper: f.keeper, Account: account, ClientID: clientID,
		Now: func() time.Time { return f.now },
	})
	return f
}

// tls12 makes every connection a full TLS 1.2 handshake, which has the
// tls-unique data that crypto/tls reports in TLSUnique.
func (f *fixture) tls12() {
	f.tls.Version = tls.VersionTLS12
	f.tls.TLSUnique = []byte("client finished")
}

// login says how one login runs.
type login struct {
	// noFAST leaves the FAST client out: a client that never heard of it.
	noFAST bool
	// extra children for <authenticate>.
	extra []sasl2.Element
	// edit changes the <authenticate> on the wire, and editReply the
	// server's answer.
	edit, editReply func(string) string
	// clientID replaces the user-agent id; "-" sends none.
	clientID string
}

// outcome is what one login produced.
type outcome struct {
	auth  *sasl2.Authenticate
	wire  string // the <authenticate> as sent
	reply any    // the server's answer
	err   error  // the client's verdict, through Client.Failed
	done  bool   // the client accepted success
	conn  *sasl2.Conn
}

// serverConfig returns the sasl2 configuration of the server side.
func (f *fixture) serverConfig() *sasl2.Config {
	return &sasl2.Config{
		Mechanisms: []sasl2.Mechanism{plain{}},
		Extensions: append([]sasl2.Extension{f.srv}, f.after...),
		Policy:     f.policy,
		Audit: func(e sasl2.Event) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.outcomes = append(f.outcomes, e)
		},
	}
}

// conn returns a description of a fresh connection.
func (f *fixture) conn() *sasl2.Conn {
	cs := f.tls
	return &sasl2.Conn{Domain: domain, From: account, TLS: &cs,
		Bindings: append([]sasl2.ChannelBinding(nil), f.bindings...)}
}

// login runs one authentication on a new connection, through sasl2's
// server and client and the XML between them.
func (f *fixture) login(l login) *outcome {
	f.t.Helper()
	ctx := context.Background()
	o := &outcome{conn: f.conn()}
	ss := sasl2.NewServer(f.serverConfig(), o.conn)
	feat, cb := ss.Features()
	if feat == nil {
		f.t.Fatal("no <authentication>")
	}

	ua := &sasl2.UserAgent{ID: clientID}
	switch l.clientID {
	case "":
	case "-":
		ua = &sasl2.UserAgent{Software: "test"}
	default:
		ua = &sasl2.UserAgent{ID: l.clientID}
	}
	var exts []sasl2.ClientExtension
	if !l.noFAST {
		exts = append(exts, f.client)
	}
	for _, e := range l.extra {
		exts = append(exts, extra{e})
	}
	cc := sasl2.NewClient(&sasl2.ClientConfig{
		Mechanisms: []sasl2.ClientMechanism{plainClient{}},
		UserAgent:  ua, Extensions: exts,
	}, f.conn())
	a, err := cc.Start(ctx, wire(f.t, feat).(*sasl2.Authentication), cb)
	if err != nil {
		f.t.Fatalf("client start: %v", err)
	}
	o.wire = encode(f.t, a)
	if l.edit != nil {
		o.wire = l.edit(o.wire)
	}
	o.auth = decode(f.t, o.wire).(*sasl2.Authenticate)

	reply, err := ss.Receive(ctx, o.auth)
	if err != nil {
		f.t.Fatalf("server: %v", err)
	}
	replyWire := encode(f.t, reply)
	if l.editReply != nil {
		replyWire = l.editReply(replyWire)
	}
	o.reply = decode(f.t, replyWire)
	_, o.err = cc.Receive(ctx, o.reply)
	if o.err != nil && !l.noFAST {
		o.err = f.client.Failed(o.err)
	}
	o.done = cc.Done()
	return o
}

// condition returns the condition of a failure, or "" after success.
func (o *outcome) condition() sasl2.Condition {
	if f, ok := o.reply.(*sasl2.Failure); ok {
		return f.Condition
	}
	return ""
}

// success returns the server's success, or nil.
func (o *outcome) success() *sasl2.Success {
	s, _ := o.reply.(*sasl2.Success)
	return s
}

// token returns the token string in the server's success, or "".
func (o *outcome) token() string {
	if s := o.success(); s != nil {
		for _, e := range s.Extensions {
			if i, err := ParseIssued(e); err == nil {
				return i.Token
			}
		}
	}
	return ""
}

// encode returns v as XML.
func encode(_ testing.TB, v any) string { return xmltest.Marshal(v) }

// decode reads one element from s.
func decode(t testing.TB, s string) any {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("decode %q: %v", s, err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			v, err := sasl2.Decode(d, start)
			if err != nil {
				t.Fatalf("decode %q: %v", s, err)
			}
			return v
		}
	}
}

// wire sends v through XML, as a stream would carry it.
func wire(t testing.TB, v any) any {
	t.Helper()
	return decode(t, encode(t, v))
}

// mustElement parses s as a foreign element.
func mustElement(t testing.TB, s string) sasl2.Element {
	t.Helper()
	var e sasl2.Element
	if err := xml.Unmarshal([]byte(s), &e); err != nil {
		t.Fatalf("element %q: %v", s, err)
	}
	return e
}
