package main

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/sasl2"
)

// The tests in this file play a hostile or broken peer: one that sends
// what the stream layer must refuse, that stops reading, that guesses
// passwords, or that opens more than its share.

// TestDuplicateFromIsNotForwarded: a message with a second 'from' is not
// well-formed and ends the sender's stream; its recipient never sees it.
func TestDuplicateFromIsNotForwarded(t *testing.T) {
	ts := startServer(t)
	bob := ts.login(ts.config("bob"), bobPassword)
	mallory := ts.login(ts.config("alice"), alicePassword)

	m := xmlstream.NewElement(xmlstream.NSClient, "message",
		"from", "alice@localhost", "to", bob.JID().String(), "type", "chat")
	m.Attr = append(m.Attr, xml.Attr{Name: xml.Name{Local: "from"}, Value: "admin@localhost/console"})
	m.Add(xmlstream.NewElement(xmlstream.NSClient, "body").AddText("forged"))
	if err := mallory.Send(m); err != nil {
		t.Fatal(err)
	}
	_, err := mallory.Next(timeout(t))
	var se *xmlstream.StreamError
	if !errors.As(err, &se) || se.Condition != "not-well-formed" {
		t.Errorf("sender: err = %v, want a not-well-formed stream error", err)
	}

	alice := ts.login(ts.config("alice"), alicePassword)
	send(t, alice, bob.JID().String(), "genuine")
	if m := nextMessage(t, bob); body(m) != "genuine" {
		t.Errorf("bob got %s first", m)
	}
}

// TestStreamErrorsForWhatTheDecoderRefuses: what encoding/xml refuses
// before the stream header, or lets through, is answered with the stream
// error that names it.
func TestStreamErrorsForWhatTheDecoderRefuses(t *testing.T) {
	ts := startServer(t)
	header := "<stream:stream to='localhost' xmlns='jabber:client' " +
		"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
	for _, tc := range []struct {
		name, in, condition string
	}{
		{"ISO-8859-1", "<?xml version='1.0' encoding='ISO-8859-1'?>" + header, "unsupported-encoding"},
		{"UTF-16 declared", "<?xml version='1.0' encoding='UTF-16'?>" + header, "unsupported-encoding"},
		{"XML 1.1", "<?xml version='1.1'?>" + header, "not-well-formed"},
		{"two 'to' attributes", strings.Replace(header, "to='localhost'", "to='localhost' to='evil'", 1), "not-well-formed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := rawStream(t, dialPlain(t, ts), tc.in)
			if se := readStreamError(t, c); se.Condition != tc.condition {
				t.Errorf("got %s, want %s", se.Condition, tc.condition)
			}
		})
	}
}

// dialPlain connects to the server's STARTTLS port.
func dialPlain(t *testing.T, ts *testServer) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", ts.plain)
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// rawStream sends in on nc and reads the server's stream header.
func rawStream(t *testing.T, nc net.Conn, in string) *xmlstream.Conn {
	t.Helper()
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := xmlstream.NewConn(nc)
	if err := c.SendRaw([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	return c
}

// readStreamError reads elements until a stream error and returns it.
func readStreamError(t *testing.T, c *xmlstream.Conn) *xmlstream.StreamError {
	t.Helper()
	for {
		el, err := c.Next()
		if err != nil {
			t.Fatalf("no stream error: %v", err)
		}
		if e, ok := el.(*xmlstream.Element); ok && e.Name.Space == xmlstream.NSStream && e.Name.Local == "error" {
			return xmlstream.ParseStreamError(e)
		}
	}
}

// TestFifthFailedLoginEndsTheStream: a stream may fail maxFailures
// authentications; then it is closed with policy-violation, so that each
// few guesses cost a new connection.
func TestFifthFailedLoginEndsTheStream(t *testing.T) {
	ts := startServer(t)
	s := ts.dial(ts.config("alice"))
	for i := range maxFailures {
		var f *sasl2.Failure
		if err := s.Login(timeout(t), "guess"); !errors.As(err, &f) {
			t.Fatalf("guess %d: err = %v, want a failure", i+1, err)
		}
	}
	_, err := s.Next(timeout(t))
	var se *xmlstream.StreamError
	if !errors.As(err, &se) || se.Condition != "policy-violation" {
		t.Errorf("after %d failures: err = %v, want a policy-violation stream error", maxFailures, err)
	}
}

// TestLogsNameTheLoginAndClipWhatThePeerChose: a failed login is logged
// with the name the mechanism looked up, else the one the header offered,
// and strings from the peer are cut short.
func TestLogsNameTheLoginAndClipWhatThePeerChose(t *testing.T) {
	ts := startServer(t)
	ts.dial(ts.config("bob")).Login(timeout(t), "a wrong guess")

	tc, err := tls.Dial("tcp", ts.tls, &tls.Config{RootCAs: ts.roots, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	c := rawStream(t, tc, "<stream:stream from='Mallory@localhost' to='localhost' xmlns='jabber:client' "+
		"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"+
		"<authenticate xmlns='urn:xmpp:sasl:2' mechanism='NOPE'/>")
	for {
		el, err := c.Next()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := el.(*sasl2.Failure); ok {
			break
		}
	}

	long := strings.Repeat("x", 3*maxLogString) + ".example"
	c = rawStream(t, dialPlain(t, ts), "<stream:stream to='"+long+"' xmlns='jabber:client' "+
		"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
	if se := readStreamError(t, c); se.Condition != "host-unknown" {
		t.Errorf("got %s, want host-unknown", se.Condition)
	}

	// Each line is written before the peer is answered.
	logs := ts.logs.String()
	for _, want := range []string{"user=bob condition=not-authorized",
		"from=Mallory@localhost condition=invalid-mechanism", "condition=host-unknown"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, strings.Repeat("x", maxLogString+1)) {
		t.Errorf("the log holds the whole of a long 'to':\n%s", logs)
	}
}

// TestAccountSessionsAreCapped: an account binds maxResources sessions
// at most; a client that replaces one of its own still may.
func TestAccountSessionsAreCapped(t *testing.T) {
	ts := startServer(t)
	var lastID string
	for range maxResources {
		cfg := ts.config("alice")
		ts.login(cfg, alicePassword)
		lastID = cfg.UserAgent.ID
	}
	if err := ts.dial(ts.config("alice")).Login(timeout(t), alicePassword); err == nil {
		t.Errorf("session %d bound", maxResources+1)
	}

	again := ts.config("alice")
	again.UserAgent.ID = lastID
	ts.login(again, alicePassword)
	ts.login(ts.config("bob"), bobPassword)
}

func TestRouterRefusesBeyondMaxResources(t *testing.T) {
	var r router
	jid := func(res string) xmlstream.JID {
		return xmlstream.JID{Local: "alice", Domain: "localhost", Resource: res}
	}
	first := &session{clientID: "first"}
	if _, err := r.bind(first, jid("r0")); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < maxResources; i++ {
		if _, err := r.bind(&session{}, jid("r"+string(rune('a'+i)))); err != nil {
			t.Fatalf("binding %d: %v", i, err)
		}
	}

	extra := &session{}
	if old, err := r.bind(extra, jid("extra")); !errors.Is(err, errTooManyResources) || old != nil {
		t.Fatalf("bind beyond the cap: %v, %v", old, err)
	}
	if !extra.jid.IsZero() || r.session(jid("extra")) != nil {
		t.Error("the refused session is bound")
	}

	// Replacing a resource, or a client's own session, adds none.
	next := &session{clientID: "first"}
	old, err := r.bind(next, jid("r0-new"))
	if err != nil || len(old) != 1 || old[0] != first {
		t.Errorf("replacing the client's own session: %v, %v", old, err)
	}
	if old, err := r.bind(&session{}, jid("r0-new")); err != nil || len(old) != 1 || old[0] != next {
		t.Errorf("replacing a full JID: %v, %v", old, err)
	}
	if len(r.resources(jid(""))) != maxResources {
		t.Errorf("%d resources bound", len(r.resources(jid(""))))
	}
}

// pipeServer is a server with no TLS and no accounts, enough for what
// happens before authentication and for routing, run on net.Pipe
// connections in a testing/synctest bubble.
func pipeServer() *server {
	return &server{
		domain:   "localhost",
		log:      slog.New(slog.DiscardHandler),
		grace:    closeGrace,
		sessions: make(map[*session]struct{}),
		maxConns: maxConns,
	}
}

// TestSlowReaderQueueStaysBounded: stanzas for a session that does not
// read wait as bytes, no more than maxQueue of them; the session is then
// closed, and its queue empties.
func TestSlowReaderQueueStaysBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := pipeServer()
		a, b := net.Pipe()
		defer b.Close()
		s := srv.newSession(a)
		defer close(s.done)
		go s.writer()

		m := xmlstream.NewElement(xmlstream.NSClient, "message", "to", "alice@localhost/r").
			Add(xmlstream.NewElement("urn:x", "x").AddText(strings.Repeat("y", 60000)))
		p := m.Bytes()
		for i := range 3 * maxQueue / len(p) {
			s.deliver(p)
			if q := s.out.queued(); q > maxQueue {
				t.Fatalf("after %d stanzas: %d bytes queued", i+1, q)
			}
		}
		if !s.out.over {
			t.Fatal("the queue did not overflow")
		}

		// The write in progress ends within FailTimeout, and with it
		// the connection.
		time.Sleep(xmlstream.FailTimeout + time.Second)
		synctest.Wait()
		if q := s.out.queued(); q != 0 {
			t.Errorf("%d bytes still queued", q)
		}
		if _, err := b.Read(make([]byte, 1)); err == nil {
			t.Error("the connection is still open")
		}
	})
}

// TestLoginTimeoutSendsConnectionTimeout: a peer that does not log in
// within loginTimeout is told so before the connection closes.
func TestLoginTimeoutSendsConnectionTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := pipeServer()
		c := pipeSession(t, srv)
		start := time.Now()
		if se := readStreamError(t, c); se.Condition != "connection-timeout" {
			t.Errorf("got %s, want connection-timeout", se.Condition)
		}
		if d := time.Since(start); d != loginTimeout {
			t.Errorf("after %v, want %v", d, loginTimeout)
		}
	})
}

// pipeSession runs a session of srv on a net.Pipe, as accept would, and
// returns the client's end with the stream open and the server's header
// read.
func pipeSession(t *testing.T, srv *server) *xmlstream.Conn {
	t.Helper()
	a, b := net.Pipe()
	s := srv.newSession(a)
	if s == nil {
		t.Fatal("no session")
	}
	go func() {
		defer srv.wg.Done()
		s.run(t.Context(), false)
	}()
	t.Cleanup(func() {
		b.Close()
		srv.wg.Wait()
	})
	return openPipe(t, b)
}

// openPipe sends a client's stream header on nc and reads the server's.
func openPipe(t *testing.T, nc net.Conn) *xmlstream.Conn {
	t.Helper()
	c := xmlstream.NewConn(nc)
	if err := c.WriteHeader(xmlstream.Header{To: "localhost", Version: "1.0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAcceptRetriesAfterTemporaryErrors: running out of file descriptors
// pauses accepting, 5ms, then 10ms, 20ms…, and does not end it.
func TestAcceptRetriesAfterTemporaryErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := pipeServer()
		ln := newFakeListener(3)
		done := make(chan struct{})
		go func() {
			srv.accept(t.Context(), ln, false)
			close(done)
		}()

		a, b := net.Pipe()
		defer b.Close()
		ln.conns <- a
		openPipe(t, b)
		ln.Close()
		<-done
		b.Close()
		srv.wg.Wait()

		var gaps []time.Duration
		for i := 1; i < len(ln.calls); i++ {
			gaps = append(gaps, ln.calls[i].Sub(ln.calls[i-1]))
		}
		want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}
		if len(gaps) < 3 || gaps[0] != want[0] || gaps[1] != want[1] || gaps[2] != want[2] {
			t.Errorf("accepted at intervals %v, want %v first", gaps, want)
		}
	})
}

// TestConnectionsBeyondTheLimitAreClosed: past maxConns, a new connection
// is closed at once; one that ends makes room for the next.
func TestConnectionsBeyondTheLimitAreClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := pipeServer()
		srv.maxConns = 2
		ln := newFakeListener(0)
		go srv.accept(t.Context(), ln, false)
		defer ln.Close()

		var clients []net.Conn
		for range 3 {
			a, b := net.Pipe()
			defer b.Close()
			ln.conns <- a
			clients = append(clients, b)
		}
		openPipe(t, clients[0])
		openPipe(t, clients[1])
		if _, err := clients[2].Read(make([]byte, 1)); err == nil {
			t.Error("the third connection is open")
		}

		clients[0].Close()
		synctest.Wait()
		a, b := net.Pipe()
		defer b.Close()
		ln.conns <- a
		openPipe(t, b)

		ln.Close()
		for _, c := range append(clients, b) {
			c.Close()
		}
		srv.wg.Wait()
	})
}

// fakeListener hands out the connections sent on conns, after failing
// as many times as asked with EMFILE, and records when it was called.
type fakeListener struct {
	fails  int
	calls  []time.Time
	conns  chan net.Conn
	closed chan struct{}
}

func newFakeListener(fails int) *fakeListener {
	return &fakeListener{fails: fails, conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *fakeListener) Accept() (net.Conn, error) {
	l.calls = append(l.calls, time.Now())
	if l.fails > 0 {
		l.fails--
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *fakeListener) Close() error {
	select {
	case <-l.closed:
	default:
		close(l.closed)
	}
	return nil
}

func (l *fakeListener) Addr() net.Addr { return &net.TCPAddr{} }

// A bind undone because FAST failed after it leaves nothing routable.
func TestUnbindAfterALaterFailure(t *testing.T) {
	srv := &server{}
	s := &session{srv: srv}
	full := xmlstream.JID{Local: "alice", Domain: "localhost", Resource: "r"}
	if _, err := srv.router.bind(s, full); err != nil {
		t.Fatal(err)
	}
	srv.unbind(context.WithValue(context.Background(), sessionKey{}, s), full.String())
	if srv.router.session(full) != nil || s.jid.Resource != "" {
		t.Errorf("still bound: %v", s.jid)
	}
}
