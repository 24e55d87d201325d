package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/xmppauth/xmppauth/bind2"
	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/sasl2"
)

// Bounds on one session.
const (
	// maxQueue is how many bytes of stanzas from other sessions may wait
	// for one slow reader, the one being written included, before the
	// server gives up on it.
	maxQueue = 1 << 20
	// maxFailures is how many failed authentications end a stream: the
	// last is answered, then the stream is closed with policy-violation,
	// so that guessing passwords costs a new connection and TLS
	// handshake every few guesses.
	maxFailures = 5
	// maxLogString is how much of a string that the peer chose goes into
	// a log line.
	maxLogString = 256
)

// session is one client connection, from the first byte to the end of its
// stream.
type session struct {
	srv  *server
	conn *xmlstream.Conn
	log  *slog.Logger

	// Set while authenticating, read-only once bound.
	from     string        // the stream header's bare JID, a hint only
	hint     string        // the header's 'from' as sent, clipped, for logs
	tried    string        // the localpart last looked up, clipped, for logs
	jid      xmlstream.JID // bare after authentication, full once bound
	clientID string        // the validated user-agent id, or ""

	carbons   atomic.Bool // XEP-0280 enabled
	available bool        // initial presence sent; session goroutine only

	out       queue         // stanzas routed from other sessions
	done      chan struct{} // closed when the session ends
	closeOnce sync.Once
}

// run serves the connection until its stream ends.
func (s *session) run(ctx context.Context, direct bool) {
	defer s.end()
	err := s.serve(ctx, direct)

	var se *xmlstream.StreamError
	switch {
	case errors.As(err, &se):
		s.log.Info("stream error", "condition", se.Condition, "text", clip(se.Text))
		s.conn.Fail(se)
	case err == nil, errors.Is(err, xmlstream.ErrClosed):
		s.closeStream()
		s.log.Debug("stream closed")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed):
		s.log.Debug("connection closed")
	default:
		s.log.Info("connection failed", "err", err)
	}
}

// end unbinds the session, tells the account's other resources that it
// went away, and closes the connection. A session that a newer one replaced
// says nothing: its full JID lives on.
func (s *session) end() {
	close(s.done)
	if s.jid.Resource != "" && s.srv.router.unbind(s) {
		if s.available {
			s.broadcast(xmlstream.NewElement(xmlstream.NSClient, "presence",
				"type", "unavailable", "from", s.jid.String()))
		}
	}
	s.conn.Close()
	s.srv.dropSession(s)
}

// closeStream sends our closing tag once. The peer answers with its own,
// which ends the read loop; if it does not, the connection is cut after
// the server's grace period.
func (s *session) closeStream() {
	s.closeOnce.Do(func() {
		if s.conn.CloseStream() != nil {
			s.conn.Close()
			return
		}
		s.conn.SetReadDeadline(time.Now().Add(s.srv.grace))
	})
}

// serve runs the stream: TLS, authentication, then stanzas.
func (s *session) serve(ctx context.Context, direct bool) error {
	s.conn.SetDeadline(time.Now().Add(loginTimeout))
	if direct {
		if err := s.conn.StartTLS(ctx, s.tlsServer); err != nil {
			return err
		}
	}
	if err := s.secure(ctx); err != nil {
		return err
	}
	m, err := s.authenticate(ctx)
	if err != nil {
		return err
	}
	s.conn.SetDeadline(time.Time{})

	// XEP-0388 §2.4: fresh features right after <success>, no restart.
	// Once Bind 2 bound a resource, RFC 6120 binding must not be offered
	// again: xmpp.js would try it.
	csi := xmlstream.NewElement(nsCSI, "csi")
	if bind2.IsBound(m.Result()) {
		err = s.conn.SendFeatures(csi)
	} else {
		err = s.conn.SendFeatures(
			xmlstream.NewElement(xmlstream.NSBind, "bind"),
			xmlstream.NewElement(xmlstream.NSSession, "session").
				Add(xmlstream.NewElement(xmlstream.NSSession, "optional")),
			csi)
	}
	if err != nil {
		return err
	}
	go s.writer()
	return s.stanzas(ctx, m)
}

// next reads the next element before login. The login deadline passing
// is a stream error that says so (RFC 6120 §4.9.3.4); not so a TLS
// handshake that runs out of time, after which no stream error can be
// sent, and which StartTLS reports.
func (s *session) next() (any, error) {
	el, err := s.conn.Next()
	return el, timedOut(err)
}

func timedOut(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &xmlstream.StreamError{Condition: "connection-timeout", Text: "login took too long"}
	}
	return err
}

func (s *session) tlsServer(nc net.Conn) *tls.Conn {
	return tls.Server(nc, s.srv.tls)
}

// secure reads stream headers until the stream is encrypted, running
// STARTTLS (RFC 6120 §5) on a plain connection.
func (s *session) secure(ctx context.Context) error {
	for {
		if err := s.open(); err != nil {
			return err
		}
		if s.conn.TLS() != nil {
			return nil
		}
		// TLS is mandatory: nothing but <starttls/> is accepted.
		err := s.conn.SendFeatures(xmlstream.NewElement(xmlstream.NSTLS, "starttls").
			Add(xmlstream.NewElement(xmlstream.NSTLS, "required")))
		if err != nil {
			return err
		}
		el, err := s.next()
		if err != nil {
			return err
		}
		e, ok := el.(*xmlstream.Element)
		if !ok || e.Name.Space != xmlstream.NSTLS || e.Name.Local != "starttls" {
			return &xmlstream.StreamError{Condition: "policy-violation", Text: "TLS required"}
		}
		if err := s.conn.Send(xmlstream.NewElement(xmlstream.NSTLS, "proceed")); err != nil {
			return err
		}
		if err := s.conn.StartTLS(ctx, s.tlsServer); err != nil {
			return err
		}
	}
}

// open reads the client's stream header and answers with ours.
func (s *session) open() error {
	h, err := s.conn.ReadHeader()
	if err != nil {
		return timedOut(err)
	}
	reply := xmlstream.Header{
		ID: xmlstream.NewID(), From: s.srv.domain, Version: "1.0", Lang: "en",
	}
	if h.To != "" && !strings.EqualFold(strings.TrimSuffix(h.To, "."), s.srv.domain) {
		s.conn.WriteHeader(reply)
		return &xmlstream.StreamError{Condition: "host-unknown", Text: clip(h.To)}
	}
	if !strings.HasPrefix(h.Version, "1.") {
		s.conn.WriteHeader(reply)
		return &xmlstream.StreamError{Condition: "unsupported-version", Text: clip(h.Version)}
	}

	// 'from' is a hint (XEP-0388 §2.1): it picks nothing and proves
	// nothing. One for another domain is refused, as the XEP advises.
	s.from, s.hint = "", clip(h.From)
	if j, err := xmlstream.ParseJID(h.From); err == nil && j.Local != "" {
		if j.Domain != s.srv.domain {
			s.conn.WriteHeader(reply)
			return &xmlstream.StreamError{Condition: "invalid-from", Text: clip(h.From)}
		}
		s.from = j.Bare().String()
		reply.To = s.from
	}
	return s.conn.WriteHeader(reply)
}

// authenticate offers SASL2 and runs exchanges until one succeeds. A
// failure leaves the stream open for another <authenticate>.
func (s *session) authenticate(ctx context.Context) (*sasl2.Server, error) {
	cs := s.conn.TLS()
	conn := &sasl2.Conn{
		Domain:   s.srv.domain,
		From:     s.from,
		TLS:      cs,
		Bindings: s.srv.bindings(cs),
	}
	// A copy of the shared configuration, so that audit events carry this
	// connection's logger.
	cfg := *s.srv.sasl
	cfg.Audit = s.audit
	m := sasl2.NewServer(&cfg, conn)

	auth, cb := m.Features()
	if auth == nil {
		return nil, &xmlstream.StreamError{Condition: "internal-server-error", Text: "no mechanism"}
	}
	features := []any{auth}
	if cb != nil {
		features = append(features, cb)
	}
	if err := s.conn.SendFeatures(features...); err != nil {
		return nil, err
	}

	bctx := context.WithValue(ctx, sessionKey{}, s)
	for failures := 0; !m.Done(); {
		el, err := s.next()
		if err != nil {
			return nil, err
		}
		reply, err := m.Receive(bctx, el)
		if err != nil {
			return nil, streamError(err)
		}
		if err := s.conn.Send(reply); err != nil {
			return nil, err
		}
		if _, failed := reply.(*sasl2.Failure); failed {
			if failures++; failures == maxFailures {
				return nil, &xmlstream.StreamError{Condition: "policy-violation", Text: "too many failed authentications"}
			}
		}
	}
	if s.jid.IsZero() {
		jid, err := xmlstream.ParseJID(m.Result().JID)
		if err != nil {
			return nil, err
		}
		s.jid = jid
	}
	return m, nil
}

// streamError turns a *sasl2.StreamError into one to send.
func streamError(err error) error {
	var se *sasl2.StreamError
	if errors.As(err, &se) {
		return &xmlstream.StreamError{Condition: se.Condition, Text: se.Text}
	}
	return err
}

// audit logs the outcome of each authentication. No event carries a
// secret; the user-agent id is logged only as a short hash, since it
// identifies an installation.
func (s *session) audit(e sasl2.Event) {
	attrs := []any{"mechanism", e.Mechanism}
	if e.ClientID != "" {
		attrs = append(attrs, "client", clientHash(e.ClientID))
	}
	switch e.Kind {
	case sasl2.EventSuccess:
		jid := s.jid.String()
		if s.jid.IsZero() {
			jid = e.User + "@" + s.srv.domain
		}
		s.log.Info("login", append(attrs, "jid", jid, "tls", tlsVersion(s.conn.TLS()))...)
	case sasl2.EventFailure:
		// sasl2 names the user only once the mechanism succeeded; the
		// name a password mechanism looked up is the next best, and
		// the header's 'from' hint the last resort.
		switch {
		case e.User != "":
			attrs = append(attrs, "user", e.User)
		case s.tried != "":
			attrs = append(attrs, "user", s.tried)
		default:
			attrs = append(attrs, "from", s.hint)
		}
		s.tried = ""
		s.log.Info("login failed", append(attrs, "condition", string(e.Condition))...)
	case sasl2.EventTaskPassed:
		s.log.Info("task passed", append(attrs, "user", e.User, "task", e.Task)...)
	}
}

// clip shortens a string that the peer chose to maxLogString bytes for
// the logs, at a character boundary, marking the cut. The log handler
// quotes what needs quoting.
func clip(s string) string {
	if len(s) <= maxLogString {
		return s
	}
	i := maxLogString
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func tlsVersion(cs *tls.ConnectionState) string {
	if cs == nil {
		return "none"
	}
	return tls.VersionName(cs.Version)
}

// errTooManyResources refuses a binding beyond maxResources.
var errTooManyResources = errors.New("server: too many resources bound")

// bindTo makes the session reachable at jid and closes the sessions it
// replaces (RFC 6120 §7.7.2.2, XEP-0386 §3.2). It returns
// errTooManyResources, and binds nothing, when the account has as many
// other sessions as it may.
func (s *session) bindTo(jid xmlstream.JID) error {
	old, err := s.srv.router.bind(s, jid)
	if err != nil {
		return err
	}
	for _, o := range old {
		o.log.Info("session replaced", "jid", clip(o.jid.String()))
		go o.conn.Fail(&xmlstream.StreamError{Condition: "conflict"})
	}
	return nil
}

// writer sends what other sessions route here, in order, until the
// session ends.
func (s *session) writer() {
	for {
		select {
		case <-s.out.ready:
		case <-s.done:
			return
		}
		for p := s.out.take(); p != nil; p = s.out.take() {
			err := s.conn.SendRaw(p)
			s.out.written(p)
			if err != nil {
				s.conn.Close()
				return
			}
		}
	}
}

// deliver queues an encoded stanza for this session without blocking the
// sender. A session whose queue overflows has stopped reading, or reads
// more slowly than its stanzas arrive. It is closed with a
// resource-constraint stream error (RFC 6120 §4.9.3.17), rather than have
// stanzas dropped one by one with error bounces: a client that does not
// read would not see them, and one that does would show its user a
// conversation with holes in it; a closed stream tells the client to
// reconnect.
func (s *session) deliver(p []byte) {
	select {
	case <-s.done:
		return
	default:
	}
	if s.out.push(p) {
		s.log.Warn("outbound queue full, closing", "jid", clip(s.jid.String()))
		go s.conn.Fail(&xmlstream.StreamError{Condition: "resource-constraint", Text: "outbound queue full"})
	}
}

// queue holds the encoded stanzas that other sessions route to one
// session, for its writer. It counts their bytes until they are written
// and holds no more than maxQueue. It is safe for concurrent use; the zero
// value is not, and newQueue makes one.
type queue struct {
	ready chan struct{} // holds a token while stanzas are pending

	mu      sync.Mutex
	pending [][]byte
	bytes   int  // of pending, and of the stanza being written
	over    bool // overflowed: nothing is queued any more
}

func newQueue() queue {
	return queue{ready: make(chan struct{}, 1)}
}

// push queues p, unless the queue overflowed. It reports whether this p
// made it overflow: then it drops what was pending, and queues nothing
// from now on.
func (q *queue) push(p []byte) (overflowed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.over {
		return false
	}
	if q.bytes+len(p) > maxQueue {
		for _, b := range q.pending {
			q.bytes -= len(b)
		}
		q.pending, q.over = nil, true
		return true
	}
	q.pending = append(q.pending, p)
	q.bytes += len(p)
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return false
}

// take returns the next stanza to write, or nil. Its bytes count until
// written gives them back.
func (q *queue) take() []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return nil
	}
	p := q.pending[0]
	q.pending[0] = nil
	q.pending = q.pending[1:]
	return p
}

// written gives back the bytes of a stanza that take returned.
func (q *queue) written(p []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bytes -= len(p)
}

// queued returns the bytes pending and being written.
func (q *queue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}
