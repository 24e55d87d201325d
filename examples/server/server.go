package main

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/xmppauth/xmppauth/bind2"
	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/sasl2"
	"github.com/xmppauth/xmppauth/sasl2/plain"
	"github.com/xmppauth/xmppauth/sasl2/scram"
)

// Timeouts.
const (
	// loginTimeout bounds everything from the first byte to <success>:
	// TLS, stream headers and the whole SASL2 exchange.
	loginTimeout = time.Minute
	// closeGrace is how long a closing stream waits for the peer's
	// closing tag before the connection is cut (RFC 6120 §4.4); the
	// default of server.grace.
	closeGrace = 2 * time.Second
	// acceptDelayMin and acceptDelayMax bound the wait before accepting
	// again after an error, doubling from one to the other as net/http
	// does: a process out of file descriptors recovers as connections
	// close.
	acceptDelayMin = 5 * time.Millisecond
	acceptDelayMax = time.Second
)

// maxConns is how many connections the server serves at once, the default
// of server.maxConns. Connections beyond it are closed as they are
// accepted.
const maxConns = 1000

// server is the c2s service for one domain. Its methods are safe for
// concurrent use.
type server struct {
	domain string
	log    *slog.Logger
	tls    *tls.Config
	leaf   *x509.Certificate
	sasl   *sasl2.Config
	fast   *fast.Server // nil without FAST
	router router
	grace  time.Duration // see closeGrace

	// accountIQ answers the requests serverIQ leaves; nil for none.
	accountIQ iqHandler

	mu       sync.Mutex
	sessions map[*session]struct{}
	maxConns int  // see maxConns
	full     bool // connections are refused for maxConns
	closing  bool
	wg       sync.WaitGroup
}

// serverConfig is what newServer needs.
type serverConfig struct {
	Domain string
	Cert   tls.Certificate
	Store  scram.Store
	// SCRAMSecret keys the salts shown to unknown users; ResourceSecret
	// keys Bind 2's stable resources. Both must survive restarts.
	SCRAMSecret, ResourceSecret []byte
	// Plain offers PLAIN over TLS, checked against the SHA-256
	// credentials. XEP-0388 §6 wants it off by default.
	Plain bool
	// FAST issues and checks reconnection tokens (XEP-0484), or nil for
	// none.
	FAST *fast.Server
	Log  *slog.Logger
}

func newServer(cfg serverConfig) *server {
	srv := &server{
		domain:   cfg.Domain,
		log:      cfg.Log,
		leaf:     cfg.Cert.Leaf,
		fast:     cfg.FAST,
		grace:    closeGrace,
		sessions: make(map[*session]struct{}),
		maxConns: maxConns,
	}
	srv.tls = &tls.Config{
		Certificates: []tls.Certificate{cfg.Cert},
		MinVersion:   tls.VersionTLS12,
		// XEP-0368 names the protocol for direct TLS.
		NextProtos: []string{"xmpp-client"},
	}

	sc := &scram.ServerConfig{
		Store:      triedStore{cfg.Store},
		Secret:     cfg.SCRAMSecret,
		Iterations: iterations,
	}
	mechs := scram.Mechanisms(sc)
	if cfg.Plain {
		mechs = append(mechs, plain.Mechanism(scram.PlainVerifier(sc, crypto.SHA256)))
	}
	exts := []sasl2.Extension{bind2.New(bind2.Config{
		Features: []string{bind2.NSCarbons, bind2.NSCSI},
		Bind:     srv.bind,
		Unbind:   srv.unbind,
		Secret:   cfg.ResourceSecret,
	})}
	if cfg.FAST != nil {
		// After Bind 2; its HT mechanisms come with it, offered inside
		// <fast> and not in <authentication>.
		exts = append(exts, cfg.FAST)
	}
	srv.sasl = &sasl2.Config{
		Mechanisms: mechs,
		Extensions: exts,
		// No second factors yet. FAST's policy keeps any that come later
		// out of token logins (XEP-0484 §4).
	}
	return srv
}

// serve accepts connections on each listener until ctx is done: plain
// listeners expect STARTTLS, direct ones start with TLS. It then closes the
// listeners, closes every stream, and returns once all sessions ended.
func (srv *server) serve(ctx context.Context, plain, direct net.Listener) error {
	var lwg sync.WaitGroup
	for _, l := range []struct {
		ln     net.Listener
		direct bool
	}{{plain, false}, {direct, true}} {
		if l.ln == nil {
			continue
		}
		lwg.Add(1)
		go func() {
			defer lwg.Done()
			srv.accept(ctx, l.ln, l.direct)
		}()
		context.AfterFunc(ctx, func() { l.ln.Close() })
	}
	lwg.Wait()
	srv.shutdown()
	return nil
}

// accept serves the connections of one listener until it is closed or ctx
// is done. Any other error, such as EMFILE, is logged, and accepting
// resumes after a pause.
func (srv *server) accept(ctx context.Context, ln net.Listener, direct bool) {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, acceptDelayMin), acceptDelayMax)
			srv.log.Error("accept", "err", err, "retry", delay)
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			continue
		}
		delay = 0
		s := srv.newSession(nc)
		if s == nil {
			nc.Close()
			continue
		}
		go func() {
			defer srv.wg.Done()
			s.run(ctx, direct)
		}()
	}
}

// newSession registers a session for nc, or returns nil when the server is
// shutting down or serves as many connections as it may.
func (srv *server) newSession(nc net.Conn) *session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closing {
		return nil
	}
	if len(srv.sessions) >= srv.maxConns {
		if !srv.full {
			srv.log.Warn("connection limit reached; refusing connections", "limit", srv.maxConns)
			srv.full = true
		}
		return nil
	}
	srv.full = false
	s := &session{
		srv:  srv,
		conn: xmlstream.NewConn(nc),
		log:  srv.log.With("remote", nc.RemoteAddr().String()),
		out:  newQueue(),
		done: make(chan struct{}),
	}
	srv.sessions[s] = struct{}{}
	srv.wg.Add(1)
	return s
}

func (srv *server) dropSession(s *session) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	delete(srv.sessions, s)
}

// shutdown closes every stream with </stream:stream>, gives the peers
// the grace period to answer, then cuts what is left.
func (srv *server) shutdown() {
	srv.mu.Lock()
	srv.closing = true
	open := make([]*session, 0, len(srv.sessions))
	for s := range srv.sessions {
		open = append(open, s)
	}
	srv.mu.Unlock()

	// In parallel: a stream still in its TLS handshake cannot be written
	// to until the handshake ends or the grace period cuts it.
	for _, s := range open {
		go s.closeStream()
	}
	done := make(chan struct{})
	go func() {
		srv.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(srv.grace):
		for _, s := range open {
			s.conn.Close()
		}
		<-done
	}
}

// bindings returns the channel bindings offered on a connection. On TLS
// 1.2 tls-exporter is left out: RFC 9266 asks for an empty context, but
// go-xmpp 0.4.1 exports with none, which on TLS 1.2 (unlike 1.3) gives
// different keying material, so its -PLUS login would fail. It then binds
// with tls-unique instead.
func (srv *server) bindings(cs *tls.ConnectionState) []sasl2.ChannelBinding {
	all := sasl2.Bindings(cs, srv.leaf)
	if cs.Version >= tls.VersionTLS13 {
		return all
	}
	var out []sasl2.ChannelBinding
	for _, b := range all {
		if b.Type != sasl2.TLSExporter {
			out = append(out, b)
		}
	}
	return out
}

// sessionKey carries the *session in the context of sasl2.Server.Receive,
// for the Bind 2 hook and triedStore.
type sessionKey struct{}

// triedStore notes on the session which localpart a mechanism looks up,
// for the log line of a failed login: sasl2 names the user only once
// the mechanism succeeds.
type triedStore struct{ scram.Store }

func (t triedStore) Credentials(ctx context.Context, user string, h crypto.Hash) (scram.Credentials, error) {
	if s, ok := ctx.Value(sessionKey{}).(*session); ok {
		s.tried = clip(user)
	}
	return t.Store.Credentials(ctx, user, h)
}

// bind is the Bind 2 hook: it binds the derived resource to the session
// that is authenticating and enables the features asked for.
// unbind undoes bind when an extension after Bind 2 (FAST, storing a
// token) failed the authentication: the stream stays unauthenticated.
func (srv *server) unbind(ctx context.Context, _ string) {
	if s, _ := ctx.Value(sessionKey{}).(*session); s != nil {
		srv.router.unbind(s)
		s.jid = s.jid.Bare()
	}
}

func (srv *server) bind(ctx context.Context, r *sasl2.Result, req *bind2.Request) (*bind2.Bound, error) {
	s, _ := ctx.Value(sessionKey{}).(*session)
	if s == nil {
		return nil, errors.New("server: bind outside a session")
	}
	jid, err := xmlstream.ParseJID(req.JID)
	if err != nil || jid.Resource == "" {
		return nil, &bind2.StanzaError{Type: "modify", Condition: bind2.BadRequest}
	}
	s.clientID = r.ClientID
	s.carbons.Store(req.Carbons())
	if err := s.bindTo(jid); err != nil {
		// RFC 6120 §7.6.2.1.
		return nil, &bind2.StanzaError{Type: "wait", Condition: bind2.ResourceConstraint}
	}
	// No offline storage and no archive: nothing to clear, no <metadata>.
	return &bind2.Bound{}, nil
}
