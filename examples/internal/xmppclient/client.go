// Package xmppclient is the protocol half of the example client: it
// connects, secures the stream, authenticates with SASL2, binds a resource
// with Bind 2 (or the RFC 6120 way when the server did not bind inline) and
// exchanges stanzas. The command in examples/client adds flags, a data
// directory and a terminal around it; the example server's tests drive it
// directly.
package xmppclient

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/xmppauth/xmppauth/bind2"
	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/sasl2"
	"github.com/xmppauth/xmppauth/sasl2/scram"
)

// Config describes one account and how to reach its server.
type Config struct {
	// JID is the account's bare JID.
	JID xmlstream.JID
	// Addr is the server's host:port. Empty means the JID's domain on port
	// 5222, or 5223 with DirectTLS.
	Addr string
	// DirectTLS starts TLS at once (XEP-0368) instead of with STARTTLS.
	DirectTLS bool
	// TLS is the TLS configuration. Nil means the system's roots; an empty
	// ServerName means the JID's domain, the name RFC 6120 §13.7.2 says a
	// client checks.
	TLS *tls.Config
	// UserAgent is sent with every authentication. Its ID should be a
	// UUIDv4 kept for the installation: the server derives a stable
	// resource from it.
	UserAgent *sasl2.UserAgent
	// Tag is the Bind 2 tag, the start of the resource.
	Tag string
	// Mechanisms, when not empty, limits the SASL mechanisms tried to
	// these names. The order tried is always strongest first.
	Mechanisms []string
	// Carbons asks for XEP-0280 Message Carbons inline with Bind 2, when
	// the server offers them.
	Carbons bool
	// LegacyBind skips Bind 2 and binds the RFC 6120 way after
	// authentication, as clients without Bind 2 do.
	LegacyBind bool
}

// Session is one client stream. Reading (Login, Next) is for one goroutine
// at a time; Send may be called from any.
type Session struct {
	cfg      Config
	conn     *xmlstream.Conn
	features *xmlstream.Element
	jid      xmlstream.JID
	mech     string
	binding  string
	inline   bool
}

// Dial connects to the server, secures the stream with TLS and reads the
// stream features that offer authentication. It does not authenticate.
func Dial(ctx context.Context, cfg Config) (*Session, error) {
	addr := cfg.Addr
	if addr == "" {
		port := "5222"
		if cfg.DirectTLS {
			port = "5223"
		}
		addr = net.JoinHostPort(cfg.JID.Domain, port)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, conn: xmlstream.NewConn(nc)}
	defer s.watch(ctx)()
	if err := s.secure(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

// secure runs TLS, directly or with STARTTLS, and leaves the session at the
// post-TLS stream features.
func (s *Session) secure(ctx context.Context) error {
	if s.cfg.DirectTLS {
		if err := s.conn.StartTLS(ctx, s.tlsClient); err != nil {
			return fmt.Errorf("xmppclient: TLS: %w", err)
		}
	}
	for {
		if err := s.open(); err != nil {
			return err
		}
		if s.conn.TLS() != nil {
			return nil
		}
		if s.features.Child(xmlstream.NSTLS, "starttls") == nil {
			return errors.New("xmppclient: server does not offer STARTTLS")
		}
		if err := s.conn.Send(xmlstream.NewElement(xmlstream.NSTLS, "starttls")); err != nil {
			return err
		}
		el, err := s.next()
		if err != nil {
			return err
		}
		if e, ok := el.(*xmlstream.Element); !ok || e.Name.Space != xmlstream.NSTLS || e.Name.Local != "proceed" {
			return errors.New("xmppclient: server refused STARTTLS")
		}
		if err := s.conn.StartTLS(ctx, s.tlsClient); err != nil {
			return fmt.Errorf("xmppclient: STARTTLS: %w", err)
		}
	}
}

func (s *Session) tlsClient(nc net.Conn) *tls.Conn {
	cfg := &tls.Config{}
	if s.cfg.TLS != nil {
		cfg = s.cfg.TLS.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.cfg.JID.Domain
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return tls.Client(nc, cfg)
}

// open sends a stream header and reads the server's header and features.
// The bare JID goes in 'from' only once the stream is encrypted, so that it
// never crosses the network in the clear (XEP-0388 §2.1).
func (s *Session) open() error {
	h := xmlstream.Header{To: s.cfg.JID.Domain, Version: "1.0", Lang: "en"}
	if s.conn.TLS() != nil {
		h.From = s.cfg.JID.Bare().String()
	}
	if err := s.conn.WriteHeader(h); err != nil {
		return err
	}
	if _, err := s.conn.ReadHeader(); err != nil {
		return err
	}
	return s.readFeatures()
}

func (s *Session) readFeatures() error {
	el, err := s.next()
	if err != nil {
		return err
	}
	f, ok := el.(*xmlstream.Element)
	if !ok || f.Name.Space != xmlstream.NSStream || f.Name.Local != "features" {
		return fmt.Errorf("xmppclient: expected stream features, got %s", describe(el))
	}
	s.features = f
	return nil
}

// next reads one element and turns a stream error from the server into an
// error.
func (s *Session) next() (any, error) {
	el, err := s.conn.Next()
	if err != nil {
		return nil, err
	}
	if e, ok := el.(*xmlstream.Element); ok && e.Name.Space == xmlstream.NSStream && e.Name.Local == "error" {
		s.conn.Close()
		return nil, xmlstream.ParseStreamError(e)
	}
	return el, nil
}

// watch makes reads and writes fail once ctx is done; the returned function
// stops watching.
func (s *Session) watch(ctx context.Context) func() {
	if d, ok := ctx.Deadline(); ok {
		s.conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() {
		s.conn.SetDeadline(time.Unix(1, 0))
	})
	return func() {
		stop()
		s.conn.SetDeadline(time.Time{})
	}
}

// Login authenticates with password and binds a resource. A *sasl2.Failure
// from the server leaves the stream as it was, and Login may be called
// again on the same session (XEP-0388 allows a new attempt after a
// failure).
func (s *Session) Login(ctx context.Context, password string) error {
	defer s.watch(ctx)()
	if err := s.authenticate(ctx, password); err != nil {
		return err
	}
	if s.jid.Resource != "" {
		return nil
	}
	return s.legacyBind()
}

func (s *Session) authenticate(ctx context.Context, password string) error {
	var auth *sasl2.Authentication
	var cb *sasl2.ChannelBindingFeature
	for _, f := range s.features.Children() {
		v, err := sasl2.Parse(f.SASL2())
		if err != nil {
			continue
		}
		switch v := v.(type) {
		case *sasl2.Authentication:
			auth = v
		case *sasl2.ChannelBindingFeature:
			cb = v
		}
	}
	if auth == nil {
		return errors.New("xmppclient: server does not offer SASL2")
	}

	cs := s.conn.TLS()
	conn := &sasl2.Conn{
		Domain:   s.cfg.JID.Domain,
		From:     s.cfg.JID.Bare().String(),
		TLS:      cs,
		Bindings: sasl2.Bindings(cs, nil),
	}
	var mechs []sasl2.ClientMechanism
	binds := false
	for _, m := range scram.ClientMechanisms(s.cfg.JID.Local, password, nil) {
		if len(s.cfg.Mechanisms) == 0 || slices.Contains(s.cfg.Mechanisms, m.Name()) {
			mechs = append(mechs, m)
			binds = binds || strings.HasSuffix(m.Name(), "-PLUS")
		}
	}
	// Limited to mechanisms without channel binding, the client is one
	// that does not bind: it says so with the GS2 flag "n" (XEP-0440 §5
	// rule 2) instead of suspecting a downgrade.
	if !binds {
		conn.Bindings = nil
	}
	b := &bind2.Client{Tag: s.cfg.Tag}
	if s.cfg.Carbons {
		b.Features = append(b.Features, sasl2.Element{
			Name: xml.Name{Space: bind2.NSCarbons, Local: "enable"},
		})
	}
	var exts []sasl2.ClientExtension
	if !s.cfg.LegacyBind {
		exts = append(exts, b)
	}
	c := sasl2.NewClient(&sasl2.ClientConfig{
		Mechanisms: mechs,
		UserAgent:  s.cfg.UserAgent,
		Extensions: exts,
	}, conn)

	a, err := c.Start(ctx, auth, cb)
	if err != nil {
		return err
	}
	s.binding = gs2Binding(a.InitialResponse)
	if err := s.conn.Send(a); err != nil {
		return err
	}
	for !c.Done() {
		el, err := s.next()
		if err != nil {
			return err
		}
		reply, err := c.Receive(ctx, el)
		if reply != nil {
			if err := s.conn.Send(reply); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
	}

	// XEP-0388 §2.4: fresh features follow <success> on the same stream.
	s.mech = c.Mechanism()
	if err := s.readFeatures(); err != nil {
		return err
	}
	jid, err := xmlstream.ParseJID(c.JID())
	if err != nil || jid.Bare() != s.cfg.JID.Bare() {
		return fmt.Errorf("xmppclient: server authorized %q", c.JID())
	}
	s.jid, s.inline = jid, b.Bound() != nil
	return nil
}

// legacyBind binds a resource the RFC 6120 §7 way, for a server that did
// not bind one inline.
func (s *Session) legacyBind() error {
	if s.features.Child(xmlstream.NSBind, "bind") == nil {
		return errors.New("xmppclient: authenticated, but the server offers no resource binding")
	}
	id := xmlstream.NewID()
	iq := xmlstream.NewElement(xmlstream.NSClient, "iq", "type", "set", "id", id).
		Add(xmlstream.NewElement(xmlstream.NSBind, "bind"))
	if err := s.conn.Send(iq); err != nil {
		return err
	}
	for {
		el, err := s.next()
		if err != nil {
			return err
		}
		e, ok := el.(*xmlstream.Element)
		if !ok || e.Name.Local != "iq" || e.Attribute("id") != id {
			continue
		}
		if e.Attribute("type") != "result" {
			return errors.New("xmppclient: resource binding failed")
		}
		var text string
		if b := e.Child(xmlstream.NSBind, "bind"); b != nil {
			if j := b.Child(xmlstream.NSBind, "jid"); j != nil {
				text = j.Text()
			}
		}
		jid, err := xmlstream.ParseJID(text)
		if err != nil || jid.Resource == "" || jid.Bare() != s.cfg.JID.Bare() {
			return fmt.Errorf("xmppclient: server bound %q", text)
		}
		s.jid = jid
		return nil
	}
}

// JID returns the bound full JID.
func (s *Session) JID() xmlstream.JID { return s.jid }

// Mechanism returns the SASL mechanism that authenticated the session.
func (s *Session) Mechanism() string { return s.mech }

// Binding returns the channel-binding type the mechanism used, such as
// "tls-exporter", or "" for none.
func (s *Session) Binding() string { return s.binding }

// gs2Binding returns the channel-binding type named by the GS2 header that
// starts a SCRAM initial response (RFC 5802 §7: "p=" cb-name), or "".
func gs2Binding(initial []byte) string {
	rest, ok := strings.CutPrefix(string(initial), "p=")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, ",")
	return name
}

// BoundInline reports whether Bind 2 bound the resource.
func (s *Session) BoundInline() bool { return s.inline }

// Features returns the latest stream features.
func (s *Session) Features() *xmlstream.Element { return s.features }

// TLS returns the connection's TLS state.
func (s *Session) TLS() *tls.ConnectionState { return s.conn.TLS() }

// Send writes a stanza.
func (s *Session) Send(e *xmlstream.Element) error { return s.conn.Send(e) }

// Next returns the next message or presence. It answers a ping from
// anyone, and any other request with service-unavailable, as RFC 6120
// §8.2.3 requires every iq get or set to be answered; iq results and errors
// are dropped.
func (s *Session) Next(ctx context.Context) (*xmlstream.Element, error) {
	for {
		e, err := s.NextElement(ctx)
		if err != nil {
			return nil, err
		}
		if e.Name.Local != "iq" {
			return e, nil
		}
		switch t := e.Attribute("type"); {
		case t == "get" && e.Child(xmlstream.NSPing, "ping") != nil:
			s.Send(xmlstream.Result(e, ""))
		case t == "get" || t == "set":
			s.Send(xmlstream.ErrorReply(e, "cancel", "service-unavailable"))
		}
	}
}

// NextElement returns the next stanza as it is, iq included, and answers
// nothing. A stream error from the server is returned as a
// *xmlstream.StreamError.
func (s *Session) NextElement(ctx context.Context) (*xmlstream.Element, error) {
	defer s.watch(ctx)()
	for {
		el, err := s.next()
		if err != nil {
			return nil, err
		}
		if e, ok := el.(*xmlstream.Element); ok && xmlstream.IsStanza(e) {
			return e, nil
		}
	}
}

// Close ends the stream: it sends the closing tag, waits a little for the
// server's, and closes the connection.
func (s *Session) Close() error {
	if err := s.conn.CloseStream(); err == nil {
		s.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			if _, err := s.conn.Next(); err != nil {
				break
			}
		}
	}
	return s.conn.Close()
}

func describe(el any) string {
	if e, ok := el.(*xmlstream.Element); ok {
		return fmt.Sprintf("<%s xmlns='%s'>", e.Name.Local, e.Name.Space)
	}
	return fmt.Sprintf("%T", el)
}
