// Package xmppclient is the protocol half of the example client: it
// connects, secures the stream, authenticates with SASL2, binds a resource
// with Bind 2 (or the RFC 6120 way when the server did not bind inline) and
// exchanges stanzas. The command in examples/client adds flags, a data
// directory and a terminal around it; the example server's tests drive it
// directly.
//
// With FAST (XEP-0484), Connect logs in with a kept token in one round
// trip once TLS is up: it sends its <authenticate> right behind the stream
// header, without waiting for the stream features. It does not cache the
// features of an earlier stream: it assumes an offer of FAST with every HT
// mechanism, so that the kept token's own mechanism is picked, and of
// Bind 2. A server that issued the token offers both; one that has
// stopped refuses the token, and Connect falls back to the password on a
// new connection, or binds the RFC 6120 way when Bind 2 is gone.
//
// With Config.Tasks a login answers the second factors of docs/mfa.md
// that the server asks for, and a Session enrols, lists and removes them
// over IQ (EnrolTOTP, RecoveryCodes, StepUp and the rest).
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
	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/mfa"
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
	// FAST, when not nil, takes part in every authentication: a password
	// login asks for a token, and a kept token is used before the
	// password. Its Account must be the bare JID and its ClientID the
	// UserAgent's id. With Mechanisms set, a token is used only when its
	// HT mechanism is listed there.
	FAST *fast.Client
	// Tasks are the second factors the client can prove when the server
	// asks for one (docs/mfa.md), most preferred first: the first one
	// the server offers runs. Nil answers no task, and a login that needs
	// one fails.
	Tasks []sasl2.ClientTask
	// Logout makes Connect log in with a kept token only, never the
	// password, and ask the server to invalidate the token (XEP-0484
	// §3.5); FAST then forgets every token it kept.
	Logout bool
	// Dial opens the TCP connection to addr. Nil means a net.Dialer.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
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
	passed   []mfa.Passed

	// pending holds the messages and presence that arrived while IQ
	// waited for its answer, for NextElement.
	pending []*xmlstream.Element

	// auth is the authentication under way.
	auth *auth
}

// auth is one authentication: the state machine and the Bind 2 client
// whose result it reads.
type auth struct {
	sasl    *sasl2.Client
	bind    *bind2.Client
	success *successResults
}

// ErrNoToken reports that Connect, told to log out, found no kept token
// to log in with.
var ErrNoToken = errors.New("xmppclient: no FAST token to log in with")

// Dial connects to the server, secures the stream with TLS and reads the
// stream features that offer authentication. It does not authenticate.
func Dial(ctx context.Context, cfg Config) (*Session, error) {
	return dial(ctx, cfg, false)
}

// dial connects and secures the stream. With pipeline, and a token that
// FAST can use, it sends the <authenticate> with the token behind the
// post-TLS stream header, and leaves it under way in s.auth.
func dial(ctx context.Context, cfg Config, pipeline bool) (*Session, error) {
	addr := cfg.Addr
	if addr == "" {
		port := "5222"
		if cfg.DirectTLS {
			port = "5223"
		}
		addr = net.JoinHostPort(cfg.JID.Domain, port)
	}
	open := cfg.Dial
	if open == nil {
		var d net.Dialer
		open = func(ctx context.Context, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	nc, err := open(ctx, addr)
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, conn: xmlstream.NewConn(nc)}
	defer s.watch(ctx)()
	if err := s.secure(ctx, pipeline); err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

// Connect connects and logs in. When cfg.FAST keeps a token it can use,
// it logs in with the token in one round trip after TLS, its
// <authenticate> sent with the stream header (see the package doc).
// When the server refuses the token, it tries the token kept before it,
// if any, and then the password, each on a new connection: some servers
// take no second <authenticate> on a stream whose first one failed.
//
// password is called at most once, and only when the password is needed,
// with the error that refused the last token (it wraps fast.ErrRejected
// and the *sasl2.Failure), or nil when no token was tried. With
// cfg.Logout, Connect returns that error, or ErrNoToken, instead.
func Connect(ctx context.Context, cfg Config, password func(refused error) (string, error)) (*Session, error) {
	var refused error
	for {
		s, err := dial(ctx, cfg, true)
		if err != nil {
			return nil, err
		}
		if s.auth != nil {
			err := s.finishLogin(ctx)
			if err == nil {
				return s, nil
			}
			s.Close()
			if !errors.Is(err, fast.ErrRejected) {
				return nil, err
			}
			// The token is forgotten; try what is left, on a new
			// connection.
			refused = err
			continue
		}

		if cfg.Logout {
			s.Close()
			if refused != nil {
				return nil, refused
			}
			return nil, ErrNoToken
		}
		pw, err := password(refused)
		if err == nil {
			err = s.Login(ctx, pw)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
}

// secure runs TLS, directly or with STARTTLS, and leaves the session at the
// post-TLS stream features; see dial for pipeline.
func (s *Session) secure(ctx context.Context, pipeline bool) error {
	if s.cfg.DirectTLS {
		if err := s.conn.StartTLS(ctx, s.tlsClient); err != nil {
			return fmt.Errorf("xmppclient: TLS: %w", err)
		}
	}
	for {
		var first *sasl2.Authenticate
		if pipeline && s.conn.TLS() != nil {
			first = s.startToken(ctx)
		}
		if err := s.open(first); err != nil {
			s.auth = nil
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

// open sends a stream header, with first behind it in the same write when
// not nil, and reads the server's header and features. The bare JID goes
// in 'from' only once the stream is encrypted, so that it never crosses
// the network in the clear (XEP-0388 §2.1); there FAST needs it
// (XEP-0484 §6).
func (s *Session) open(first *sasl2.Authenticate) error {
	h := xmlstream.Header{To: s.cfg.JID.Domain, Version: "1.0", Lang: "en"}
	if s.conn.TLS() != nil {
		h.From = s.cfg.JID.Bare().String()
	}
	var err error
	if first != nil {
		err = s.conn.WriteHeaderWith(h, first)
	} else {
		err = s.conn.WriteHeader(h)
	}
	if err != nil {
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

// Login authenticates and binds a resource: with a token kept by
// cfg.FAST when the server's features allow it, otherwise with password.
// An empty password logs in with a token only. A *sasl2.Failure from the
// server leaves the stream as it was, and Login may be called again on
// the same session (XEP-0388 allows a new attempt after a failure).
func (s *Session) Login(ctx context.Context, password string) error {
	defer s.watch(ctx)()
	if err := s.authenticate(ctx, password); err != nil {
		return err
	}
	return s.bind()
}

// finishLogin completes the authentication that dial sent with the
// stream header, and binds.
func (s *Session) finishLogin(ctx context.Context) error {
	defer s.watch(ctx)()
	if err := s.finish(ctx); err != nil {
		return err
	}
	return s.bind()
}

func (s *Session) bind() error {
	if s.jid.Resource != "" {
		return nil
	}
	return s.legacyBind()
}

func (s *Session) authenticate(ctx context.Context, password string) error {
	var offer *sasl2.Authentication
	var cb *sasl2.ChannelBindingFeature
	for _, f := range s.features.Children() {
		v, err := sasl2.Parse(f.SASL2())
		if err != nil {
			continue
		}
		switch v := v.(type) {
		case *sasl2.Authentication:
			offer = v
		case *sasl2.ChannelBindingFeature:
			cb = v
		}
	}
	if offer == nil {
		return errors.New("xmppclient: server does not offer SASL2")
	}
	a, err := s.start(ctx, password, offer, cb)
	if err != nil {
		return err
	}
	if err := s.conn.Send(a); err != nil {
		s.auth = nil
		return s.failed(err)
	}
	return s.finish(ctx)
}

// assumedOffer is the offer a pipelined token login assumes: FAST with
// every HT mechanism the library knows, so that FAST picks the token it
// keeps, and Bind 2 with the features the configuration asks for.
func (s *Session) assumedOffer() *sasl2.Authentication {
	b := bind2.Feature{}
	if s.cfg.Carbons {
		b.Inline = []string{bind2.NSCarbons}
	}
	f := fast.Feature{Mechanisms: fast.Mechanisms()}
	return &sasl2.Authentication{
		Inline: []sasl2.Element{f.Element(), b.Element()},
	}
}

// startToken starts a token login against the assumed offer, for dial to
// send with the stream header. It returns nil, with nothing under way,
// when FAST has no token it can use on this connection.
func (s *Session) startToken(ctx context.Context) *sasl2.Authenticate {
	if s.cfg.FAST == nil || !s.cfg.FAST.HasToken() {
		return nil
	}
	a, err := s.start(ctx, "", s.assumedOffer(), nil)
	if err != nil {
		return nil
	}
	return a
}

// start prepares an authentication against offer and returns the
// <authenticate> to send; s.auth holds it until it ends. Without a
// password, only a kept token can be used.
func (s *Session) start(ctx context.Context, password string,
	offer *sasl2.Authentication, cb *sasl2.ChannelBindingFeature) (*sasl2.Authenticate, error) {

	cs := s.conn.TLS()
	conn := &sasl2.Conn{
		Domain:   s.cfg.JID.Domain,
		From:     s.cfg.JID.Bare().String(),
		TLS:      cs,
		Bindings: sasl2.Bindings(cs, nil),
	}
	var mechs []sasl2.ClientMechanism
	if password != "" {
		for _, m := range scram.ClientMechanisms(s.cfg.JID.Local, password, nil) {
			if len(s.cfg.Mechanisms) == 0 || slices.Contains(s.cfg.Mechanisms, m.Name()) {
				mechs = append(mechs, m)
			}
		}
	}
	// Limited to mechanisms without channel binding, the client is one
	// that does not bind: it says so with the GS2 flag "n" (XEP-0440 §5
	// rule 2) instead of suspecting a downgrade. Its FAST tokens are then
	// for HT mechanisms without channel binding too.
	binds := len(s.cfg.Mechanisms) == 0 || slices.ContainsFunc(s.cfg.Mechanisms, func(m string) bool {
		return strings.HasSuffix(m, "-PLUS") || strings.HasPrefix(m, "HT-") && htBinding(m) != ""
	})
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
	if s.cfg.FAST != nil {
		if s.cfg.Logout {
			s.cfg.FAST.Invalidate()
		}
		exts = append(exts, fastOnly{s.cfg.FAST, s.cfg.Mechanisms})
	}
	results := &successResults{}
	exts = append(exts, results)
	c := sasl2.NewClient(&sasl2.ClientConfig{
		Mechanisms: mechs,
		UserAgent:  s.cfg.UserAgent,
		Extensions: exts,
		Tasks:      s.cfg.Tasks,
	}, conn)

	s.auth = &auth{sasl: c, bind: b, success: results}
	a, err := c.Start(ctx, offer, cb)
	if err != nil {
		s.auth = nil
		return nil, s.failed(err)
	}
	s.binding = gs2Binding(a.InitialResponse)
	if strings.HasPrefix(a.Mechanism, "HT-") {
		s.binding = htBinding(a.Mechanism)
	}
	return a, nil
}

// finish runs the authentication under way to its end, and reads the
// stream features that follow success.
func (s *Session) finish(ctx context.Context) error {
	c, b, results := s.auth.sasl, s.auth.bind, s.auth.success
	s.auth = nil
	for !c.Done() {
		el, err := s.next()
		if err != nil {
			return s.failed(err)
		}
		reply, err := c.Receive(ctx, el)
		if reply != nil {
			if err := s.conn.Send(reply); err != nil {
				return s.failed(err)
			}
		}
		if err != nil {
			return s.failed(err)
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
	s.passed = mfa.ParsePassed(results.children)
	return nil
}

// failed tells FAST that the authentication failed, and returns the error
// it returns: one that wraps fast.ErrRejected when the server refused a
// token, which FAST then forgets.
func (s *Session) failed(err error) error {
	if s.cfg.FAST == nil {
		return err
	}
	return s.cfg.FAST.Failed(err)
}

// fastOnly is FAST limited to the HT mechanisms in allow, when allow is
// not empty.
type fastOnly struct {
	*fast.Client
	allow []string
}

// InlineMechanisms implements sasl2.ClientInlineMechanisms.
func (f fastOnly) InlineMechanisms(c *sasl2.Conn, inline []sasl2.Element) []sasl2.ClientMechanism {
	ms := f.Client.InlineMechanisms(c, inline)
	if len(f.allow) == 0 {
		return ms
	}
	return slices.DeleteFunc(ms, func(m sasl2.ClientMechanism) bool {
		return !slices.Contains(f.allow, m.Name())
	})
}

// successResults keeps what <success> carried besides the extensions'
// own results: the task results, <passed/> among them.
type successResults struct {
	children []sasl2.Element
}

// Request implements sasl2.ClientExtension: it asks for nothing.
func (*successResults) Request(*sasl2.Conn, []sasl2.Element) (sasl2.Element, bool) {
	return sasl2.Element{}, false
}

// Success implements sasl2.ClientExtension.
func (r *successResults) Success(s *sasl2.Success) error {
	r.children = s.Extensions
	return nil
}

// htBinding returns the channel-binding type of an HT mechanism, or "".
func htBinding(mech string) string {
	switch {
	case strings.HasSuffix(mech, "-EXPR"):
		return sasl2.TLSExporter
	case strings.HasSuffix(mech, "-ENDP"):
		return sasl2.TLSServerEndPoint
	case strings.HasSuffix(mech, "-UNIQ"):
		return sasl2.TLSUnique
	}
	return ""
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

// Passed returns the second factors that the login proved, as the
// server's <success> reported them (docs/mfa.md §4.2): none for a login
// that needed none, and none for a FAST token login, which runs no task.
func (s *Session) Passed() []mfa.Passed { return s.passed }

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
		s.answer(e)
	}
}

// answer answers an iq request as Next does, and drops an iq result or
// error.
func (s *Session) answer(iq *xmlstream.Element) {
	switch t := iq.Attribute("type"); {
	case t == "get" && iq.Child(xmlstream.NSPing, "ping") != nil:
		s.Send(xmlstream.Result(iq, ""))
	case t == "get" || t == "set":
		s.Send(xmlstream.ErrorReply(iq, "cancel", "service-unavailable"))
	}
}

// NextElement returns the next stanza as it is, iq included, and answers
// nothing. A stream error from the server is returned as a
// *xmlstream.StreamError.
func (s *Session) NextElement(ctx context.Context) (*xmlstream.Element, error) {
	if len(s.pending) > 0 {
		e := s.pending[0]
		s.pending = s.pending[1:]
		return e, nil
	}
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
