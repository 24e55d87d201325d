package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/examples/internal/xmppclient"
	"github.com/xmppauth/xmppauth/internal/xmltest"
	"github.com/xmppauth/xmppauth/sasl2"
	"github.com/xmppauth/xmppauth/sasl2/scram"
)

// The accounts every test server has.
const (
	alicePassword = "correct horse battery staple"
	bobPassword   = "Tr0ub4dor&3"
)

// testServer is the example server running in-process on loopback, with a
// fresh data directory.
type testServer struct {
	t          *testing.T
	dir        string // the data directory
	plain, tls string // listening addresses
	roots      *x509.CertPool
	store      *store
	logs       *syncBuffer
	stop       func()
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	return startServerIn(t, t.TempDir())
}

// startServerIn starts the server on the data directory dir, giving alice
// and bob their passwords.
func startServerIn(t *testing.T, dir string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for user, pw := range map[string]string{"alice": alicePassword, "bob": bobPassword} {
		if err := st.SetPassword(ctx, user, pw); err != nil {
			t.Fatal(err)
		}
	}

	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := setup(ctx, &options{domain: "localhost", data: dir}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	srv.grace = 200 * time.Millisecond
	plainLn, directLn, err := listen("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.serve(ctx, plainLn, directLn)
	}()

	pem, err := os.ReadFile(certPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	roots := poolOf(t, pem)
	ts := &testServer{
		t: t, dir: dir, plain: plainLn.Addr().String(), tls: directLn.Addr().String(),
		roots: roots, store: st, logs: logs,
	}
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			st.Close()
		})
	}
	t.Cleanup(func() {
		ts.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return ts
}

// config returns a client configuration for user@localhost over STARTTLS,
// with a user-agent id of its own.
func (ts *testServer) config(user string) xmppclient.Config {
	return xmppclient.Config{
		JID:       xmlstream.JID{Local: user, Domain: "localhost"},
		Addr:      ts.plain,
		TLS:       &tls.Config{RootCAs: ts.roots},
		UserAgent: &sasl2.UserAgent{ID: xmppclient.NewUUID(), Software: "test"},
		Tag:       "test",
	}
}

// dial connects without logging in, failing the test on error. The
// session is closed when the test ends.
func (ts *testServer) dial(cfg xmppclient.Config) *xmppclient.Session {
	ts.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := xmppclient.Dial(ctx, cfg)
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(func() { s.Close() })
	return s
}

// login connects and logs in, failing the test on error.
func (ts *testServer) login(cfg xmppclient.Config, password string) *xmppclient.Session {
	ts.t.Helper()
	s := ts.dial(cfg)
	if err := s.Login(timeout(ts.t), password); err != nil {
		ts.t.Fatal(err)
	}
	return s
}

// plainStream opens a stream without TLS and returns it with the
// server's first features.
func (ts *testServer) plainStream() (*xmlstream.Conn, *xmlstream.Element) {
	ts.t.Helper()
	nc, err := net.Dial("tcp", ts.plain)
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(func() { nc.Close() })
	c := xmlstream.NewConn(nc)
	c.WriteHeader(xmlstream.Header{To: "localhost", Version: "1.0"})
	if _, err := c.ReadHeader(); err != nil {
		ts.t.Fatal(err)
	}
	el, err := c.Next()
	if err != nil {
		ts.t.Fatal(err)
	}
	return c, el.(*xmlstream.Element)
}

// timeout returns a context that ends with the test or after 10 seconds.
func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestLoginPicksSCRAMSHA512PlusWithTLSExporter(t *testing.T) {
	ts := startServer(t)
	s := ts.login(ts.config("alice"), alicePassword)

	if got := s.Mechanism(); got != "SCRAM-SHA-512-PLUS" {
		t.Errorf("mechanism = %s, want SCRAM-SHA-512-PLUS", got)
	}
	if got := s.Binding(); got != sasl2.TLSExporter {
		t.Errorf("channel binding = %q, want tls-exporter", got)
	}
	if v := s.TLS().Version; v != tls.VersionTLS13 {
		t.Errorf("TLS version = %s, want TLS 1.3", tls.VersionName(v))
	}
	if !s.BoundInline() || !strings.HasPrefix(s.JID().String(), "alice@localhost/test/") {
		t.Errorf("bound %s (inline: %v), want alice@localhost/test/… with Bind 2", s.JID(), s.BoundInline())
	}
	// After Bind 2 the features offer no second binding (xmpp.js would
	// try it).
	if f := s.Features(); f.Child(xmlstream.NSBind, "bind") != nil || f.Child(xmlstream.NSSession, "session") != nil {
		t.Errorf("features after Bind 2 offer binding: %s", f)
	}
}

func TestLoginWithSCRAMSHA256WithoutChannelBinding(t *testing.T) {
	ts := startServer(t)
	cfg := ts.config("bob")
	cfg.Mechanisms = []string{"SCRAM-SHA-256"}
	s := ts.login(cfg, bobPassword)
	if got := s.Mechanism(); got != "SCRAM-SHA-256" {
		t.Errorf("mechanism = %s, want SCRAM-SHA-256", got)
	}
	if got := s.Binding(); got != "" {
		t.Errorf("channel binding = %q, want none", got)
	}
}

func TestLoginOverTLS12BindsWithoutExporter(t *testing.T) {
	ts := startServer(t)
	cfg := ts.config("alice")
	cfg.TLS.MaxVersion = tls.VersionTLS12
	s := ts.login(cfg, alicePassword)
	if got := s.Mechanism(); got != "SCRAM-SHA-512-PLUS" {
		t.Errorf("mechanism = %s, want SCRAM-SHA-512-PLUS", got)
	}
	// The server leaves tls-exporter out on TLS 1.2 (see bindings); the
	// client binds with another type.
	if got := s.Binding(); got == "" || got == sasl2.TLSExporter {
		t.Errorf("channel binding = %q, want tls-unique or tls-server-end-point", got)
	}
}

func TestWrongPasswordThenRetryOnSameStream(t *testing.T) {
	ts := startServer(t)
	s := ts.dial(ts.config("alice"))
	err := s.Login(timeout(t), "not the password")
	var f *sasl2.Failure
	if !errors.As(err, &f) || f.Condition != sasl2.NotAuthorized {
		t.Fatalf("login with a wrong password: err = %v, want not-authorized", err)
	}
	if err := s.Login(timeout(t), alicePassword); err != nil {
		t.Fatalf("second attempt on the same stream: %v", err)
	}
	if s.JID().Bare().String() != "alice@localhost" {
		t.Errorf("bound %s", s.JID())
	}
}

func TestUnknownUserFailsLikeWrongPassword(t *testing.T) {
	ts := startServer(t)
	err := ts.dial(ts.config("mallory")).Login(timeout(t), "whatever")
	var f *sasl2.Failure
	if !errors.As(err, &f) || f.Condition != sasl2.NotAuthorized || f.Text != "" {
		t.Fatalf("err = %v, want a bare not-authorized", err)
	}
}

func TestTwoClientsExchangeMessages(t *testing.T) {
	ts := startServer(t)
	alice := ts.login(ts.config("alice"), alicePassword)
	bob := ts.login(ts.config("bob"), bobPassword)

	// To a bare JID: every resource of the account gets it, stamped with
	// the sender's full JID.
	send(t, bob, "alice@localhost", "hi alice")
	m := nextMessage(t, alice)
	if m.Attribute("from") != bob.JID().String() || body(m) != "hi alice" {
		t.Errorf("alice got %s", m)
	}

	// To a full JID.
	send(t, alice, bob.JID().String(), "hi bob")
	m = nextMessage(t, bob)
	if m.Attribute("from") != alice.JID().String() || body(m) != "hi bob" {
		t.Errorf("bob got %s", m)
	}
}

func TestMessageToBareJIDReachesEveryResource(t *testing.T) {
	ts := startServer(t)
	phone := ts.login(ts.config("alice"), alicePassword)
	laptop := ts.login(ts.config("alice"), alicePassword)
	if phone.JID() == laptop.JID() {
		t.Fatalf("two installations share %s", phone.JID())
	}
	bob := ts.login(ts.config("bob"), bobPassword)

	send(t, bob, "alice@localhost", "to all of you")
	for _, s := range []*xmppclient.Session{phone, laptop} {
		if m := nextMessage(t, s); body(m) != "to all of you" {
			t.Errorf("%s got %s", s.JID(), m)
		}
	}
}

func TestCarbonsCopyChatToOtherResources(t *testing.T) {
	ts := startServer(t)
	cfg := ts.config("alice")
	cfg.Carbons = true
	phone := ts.login(cfg, alicePassword)
	laptop := ts.login(ts.config("alice"), alicePassword)
	bob := ts.login(ts.config("bob"), bobPassword)

	// XEP-0280 §5: a copy of what another resource received.
	send(t, bob, laptop.JID().String(), "to the laptop")
	nextMessage(t, laptop)
	c := nextMessage(t, phone)
	if fwd := forwarded(c, "received"); fwd == nil || body(fwd) != "to the laptop" || fwd.Attribute("from") != bob.JID().String() {
		t.Errorf("phone got %s, want a received carbon", c)
	}

	// §6: a copy of what another resource sent.
	send(t, laptop, bob.JID().String(), "from the laptop")
	nextMessage(t, bob)
	c = nextMessage(t, phone)
	if fwd := forwarded(c, "sent"); fwd == nil || body(fwd) != "from the laptop" {
		t.Errorf("phone got %s, want a sent carbon", c)
	}
}

// forwarded returns the message inside a carbon of the given kind, or nil.
func forwarded(m *xmlstream.Element, kind string) *xmlstream.Element {
	if m.Attribute("from") != "alice@localhost" {
		return nil
	}
	c := m.Child(nsCarbons, kind)
	if c == nil {
		return nil
	}
	f := c.Child(nsForward, "forwarded")
	if f == nil {
		return nil
	}
	return f.Child(xmlstream.NSClient, "message")
}

func TestPresenceReachesOwnResources(t *testing.T) {
	ts := startServer(t)
	phone := ts.login(ts.config("alice"), alicePassword)
	laptop := ts.login(ts.config("alice"), alicePassword)

	if err := laptop.Send(xmlstream.NewElement(xmlstream.NSClient, "presence")); err != nil {
		t.Fatal(err)
	}
	p := nextPresence(t, phone)
	if p.Attribute("from") != laptop.JID().String() || p.Attribute("type") != "" {
		t.Errorf("phone got %s, want the laptop's presence", p)
	}

	laptop.Close()
	p = nextPresence(t, phone)
	if p.Attribute("from") != laptop.JID().String() || p.Attribute("type") != "unavailable" {
		t.Errorf("phone got %s, want the laptop gone", p)
	}
}

func TestMessageToNobodyBounces(t *testing.T) {
	ts := startServer(t)
	alice := ts.login(ts.config("alice"), alicePassword)
	send(t, alice, "nobody@localhost", "anyone?")
	m := nextMessage(t, alice)
	if m.Attribute("type") != "error" || m.Child(xmlstream.NSClient, "error").Child(xmlstream.NSStanzas, "service-unavailable") == nil {
		t.Errorf("got %s, want a service-unavailable error", m)
	}
}

func TestBind2ResourceStableAcrossReconnects(t *testing.T) {
	ts := startServer(t)
	cfg := ts.config("alice")
	first := ts.login(cfg, alicePassword)
	again := ts.login(cfg, alicePassword)
	if first.JID() != again.JID() {
		t.Errorf("same user-agent id bound %s, then %s", first.JID(), again.JID())
	}

	// The new session replaced the old one (XEP-0386 §3.2), which is
	// told so with a conflict stream error.
	_, err := first.Next(timeout(t))
	var se *xmlstream.StreamError
	if !errors.As(err, &se) || se.Condition != "conflict" {
		t.Errorf("old session: err = %v, want a conflict stream error", err)
	}

	other := ts.config("alice")
	if s := ts.login(other, alicePassword); s.JID() == again.JID() {
		t.Errorf("another user-agent id bound the same %s", s.JID())
	}
}

func TestSTARTTLSAndDirectTLS(t *testing.T) {
	ts := startServer(t)
	for _, direct := range []bool{false, true} {
		cfg := ts.config("alice")
		cfg.DirectTLS = direct
		if direct {
			cfg.Addr = ts.tls
		}
		s := ts.login(cfg, alicePassword)
		if s.TLS() == nil || s.JID().Resource == "" {
			t.Errorf("direct TLS %v: not bound", direct)
		}
	}
}

func TestRFC6120BindingWithoutBind2(t *testing.T) {
	ts := startServer(t)
	cfg := ts.config("bob")
	cfg.LegacyBind = true
	s := ts.login(cfg, bobPassword)
	if s.BoundInline() || s.JID().Resource == "" {
		t.Errorf("bound %s inline %v, want a resource bound the RFC 6120 way", s.JID(), s.BoundInline())
	}

	alice := ts.login(ts.config("alice"), alicePassword)
	send(t, alice, s.JID().String(), "found you")
	if m := nextMessage(t, s); body(m) != "found you" {
		t.Errorf("got %s", m)
	}
}

func TestServerAnswersPingAndDisco(t *testing.T) {
	ts := startServer(t)
	s := ts.login(ts.config("alice"), alicePassword)
	ctx := timeout(t)
	for _, tc := range []struct {
		name    string
		payload *xmlstream.Element
		to      string
		check   func(iq *xmlstream.Element) bool
	}{
		{"ping", xmlstream.NewElement(xmlstream.NSPing, "ping"), "localhost",
			func(iq *xmlstream.Element) bool { return iq.Attribute("type") == "result" }},
		{"disco#info", xmlstream.NewElement(xmlstream.NSDiscoInfo, "query"), "localhost",
			func(iq *xmlstream.Element) bool {
				q := iq.Child(xmlstream.NSDiscoInfo, "query")
				return iq.Attribute("type") == "result" && q != nil && q.Child(xmlstream.NSDiscoInfo, "identity") != nil
			}},
		{"an unknown request", xmlstream.NewElement("urn:example:nothing", "query"), "localhost",
			func(iq *xmlstream.Element) bool { return iq.Attribute("type") == "error" }},
		{"a request to a resource that is not there", xmlstream.NewElement(xmlstream.NSPing, "ping"), "bob@localhost/gone",
			func(iq *xmlstream.Element) bool { return iq.Attribute("type") == "error" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := xmlstream.NewID()
			iq := xmlstream.NewElement(xmlstream.NSClient, "iq", "type", "get", "id", id, "to", tc.to).Add(tc.payload)
			if err := s.Send(iq); err != nil {
				t.Fatal(err)
			}
			reply := nextIQ(ctx, t, s, id)
			if !tc.check(reply) {
				t.Errorf("got %s", reply)
			}
		})
	}
}

func TestAuthenticateAfterSuccessIsStreamError(t *testing.T) {
	ts := startServer(t)
	s := ts.login(ts.config("alice"), alicePassword)
	a := xmlstream.NewElement(sasl2.NS, "authenticate", "mechanism", "SCRAM-SHA-1")
	if err := s.Send(a); err != nil {
		t.Fatal(err)
	}
	_, err := s.Next(timeout(t))
	var se *xmlstream.StreamError
	if !errors.As(err, &se) || se.Condition != "policy-violation" {
		t.Errorf("err = %v, want a policy-violation stream error", err)
	}
}

func TestNoSASLBeforeTLSAndNoPlainByDefault(t *testing.T) {
	ts := startServer(t)
	_, f := ts.plainStream()
	if f.Child(sasl2.NS, "authentication") != nil || f.Child(xmlstream.NSTLS, "starttls") == nil {
		t.Errorf("features before TLS: %s", f)
	}

	fresh := ts.dial(ts.config("alice"))
	auth := fresh.Features().Child(sasl2.NS, "authentication")
	if auth == nil {
		t.Fatalf("no SASL2 after TLS: %s", fresh.Features())
	}
	if strings.Contains(auth.String(), ">PLAIN<") {
		t.Errorf("PLAIN offered by default: %s", auth)
	}
}

func TestShutdownClosesStreams(t *testing.T) {
	ts := startServer(t)
	s := ts.login(ts.config("alice"), alicePassword)
	stopped := make(chan struct{})
	go func() {
		ts.stop()
		close(stopped)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.Next(ctx); !errors.Is(err, xmlstream.ErrClosed) {
		t.Errorf("err = %v, want the stream closed by the server", err)
	}
	s.Close()
	select {
	case <-stopped:
	case <-ctx.Done():
		t.Fatal("server did not stop")
	}
}

func TestShutdownCutsPeersThatDoNotClose(t *testing.T) {
	ts := startServer(t)
	// A peer that opens a stream and then goes silent: it never answers
	// the server's closing tag.
	c, _ := ts.plainStream()

	start := time.Now()
	ts.stop()
	if d := time.Since(start); d > time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if _, err := c.Next(); !errors.Is(err, xmlstream.ErrClosed) {
		t.Errorf("silent peer: err = %v, want the server's closing tag", err)
	}
}

func TestLogsCarryNoSecrets(t *testing.T) {
	ts := startServer(t)
	ts.login(ts.config("alice"), alicePassword)
	s := ts.dial(ts.config("bob"))
	s.Login(timeout(t), "a wrong guess")
	s.Close()

	logs := ts.logs.String()
	for _, secret := range []string{alicePassword, "a wrong guess"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a password:\n%s", logs)
		}
	}
	for _, want := range []string{"msg=login ", `msg="login failed"`, "condition=not-authorized"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
}

// poolOf returns a pool holding the PEM certificate.
func poolOf(t *testing.T, pem []byte) *x509.CertPool {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate")
	}
	return roots
}

func send(t *testing.T, s *xmppclient.Session, to, text string) {
	t.Helper()
	m := xmlstream.NewElement(xmlstream.NSClient, "message", "to", to, "type", "chat", "id", xmlstream.NewID()).
		Add(xmlstream.NewElement(xmlstream.NSClient, "body").AddText(text))
	if err := s.Send(m); err != nil {
		t.Fatal(err)
	}
}

// nextMessage returns the next message s receives, skipping presence.
func nextMessage(t *testing.T, s *xmppclient.Session) *xmlstream.Element {
	t.Helper()
	return nextStanza(t, s, "message")
}

// nextPresence returns the next presence s receives, skipping messages.
func nextPresence(t *testing.T, s *xmppclient.Session) *xmlstream.Element {
	t.Helper()
	return nextStanza(t, s, "presence")
}

func nextStanza(t *testing.T, s *xmppclient.Session, kind string) *xmlstream.Element {
	t.Helper()
	ctx := timeout(t)
	for {
		e, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("%s: %v", s.JID(), err)
		}
		if e.Name.Local == kind {
			return e
		}
	}
}

// nextIQ reads raw elements until the iq with the given id arrives; Next
// would answer requests but hides results.
func nextIQ(ctx context.Context, t *testing.T, s *xmppclient.Session, id string) *xmlstream.Element {
	t.Helper()
	for {
		e, err := s.NextElement(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if e.Name.Local == "iq" && e.Attribute("id") == id {
			return e
		}
	}
}

func body(m *xmlstream.Element) string {
	if b := m.Child(xmlstream.NSClient, "body"); b != nil {
		return b.Text()
	}
	return ""
}

// syncBuffer is a bytes.Buffer for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)

// TestAcceptsPeerQuirks replays, byte for byte in spirit, what the real
// peers of interop/README.md do: go-xmpp ends every element with a newline,
// during authentication too; xmpp.js puts a mechanism attribute on
// <response> and asks twice for stream management inside <bind>; go-xmpp
// reads exactly one element after <success> and wants stream features.
func TestAcceptsPeerQuirks(t *testing.T) {
	ts := startServer(t)
	tc, err := tls.Dial("tcp", ts.tls, &tls.Config{RootCAs: ts.roots, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	c := xmlstream.NewConn(tc)
	raw := func(s string) {
		t.Helper()
		if err := c.SendRaw([]byte(s + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	next := func() any {
		t.Helper()
		el, err := c.Next()
		if err != nil {
			t.Fatal(err)
		}
		return el
	}

	raw(`<?xml version='1.0'?><stream:stream from='alice@localhost' to='localhost' ` +
		`xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`)
	if _, err := c.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	features := next().(*xmlstream.Element)
	v, err := sasl2.Parse(features.Child(sasl2.NS, "authentication").SASL2())
	if err != nil {
		t.Fatal(err)
	}

	cs := tc.ConnectionState()
	conn := &sasl2.Conn{Domain: "localhost", TLS: &cs, Bindings: sasl2.Bindings(&cs, nil)}
	mech, err := scram.ClientMechanism("SCRAM-SHA-1", "alice", alicePassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := sasl2.NewClient(&sasl2.ClientConfig{Mechanisms: []sasl2.ClientMechanism{mech}}, conn)
	cb, err := sasl2.Parse(features.Child(sasl2.NSChannelBinding, "sasl-channel-binding").SASL2())
	if err != nil {
		t.Fatal(err)
	}
	a, err := client.Start(t.Context(), v.(*sasl2.Authentication), cb.(*sasl2.ChannelBindingFeature))
	if err != nil {
		t.Fatal(err)
	}
	a.UserAgent = &sasl2.UserAgent{ID: xmppclient.NewUUID(), Software: "xmppjs-like"}
	enable := sasl2.Element{Name: xml.Name{Space: "urn:xmpp:sm:3", Local: "enable"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "resume"}, Value: "true"}}}
	a.Extensions = append(a.Extensions, sasl2.Element{
		Name: xml.Name{Space: "urn:xmpp:bind:0", Local: "bind"},
		Children: []sasl2.Element{
			{Name: xml.Name{Space: "urn:xmpp:bind:0", Local: "tag"}, Text: "quirks"},
			enable, enable,
		},
	})
	raw(xmltest.Marshal(a))

	resp, err := client.Receive(t.Context(), next())
	if err != nil {
		t.Fatal(err)
	}
	raw(strings.Replace(xmltest.Marshal(resp), "<response ", `<response mechanism="SCRAM-SHA-1" `, 1))
	if _, err := client.Receive(t.Context(), next()); err != nil || !client.Done() {
		t.Fatalf("no success: %v", err)
	}
	if !strings.HasPrefix(client.JID(), "alice@localhost/quirks/") {
		t.Errorf("authorized %s", client.JID())
	}

	after, ok := next().(*xmlstream.Element)
	if !ok || after.Name.Space != xmlstream.NSStream || after.Name.Local != "features" {
		t.Fatalf("after success: %v, want stream features", after)
	}
	if after.Child(xmlstream.NSBind, "bind") != nil {
		t.Errorf("features offer a second binding: %s", after)
	}

	raw(`<presence xml:lang='en'><show></show><status></status></presence>`)
	p, ok := next().(*xmlstream.Element)
	if !ok || p.Name.Local != "presence" || p.Attribute("from") != client.JID() {
		t.Errorf("got %v, want our own presence back", p)
	}
	raw(`</stream:stream>`)
	if _, err := c.Next(); !errors.Is(err, xmlstream.ErrClosed) {
		t.Errorf("after our closing tag: %v, want the server's", err)
	}
}
