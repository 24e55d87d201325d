package fast

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/xmppauth/xmppauth/sasl2"
)

// Defaults for Config.
const (
	// DefaultTTL is how long a token is valid: two weeks.
	DefaultTTL = 14 * 24 * time.Hour
	// DefaultRotateAfter is the age at which a token used to log in is
	// replaced: a day.
	DefaultRotateAfter = 24 * time.Hour
	// RotateAlways, as Config.RotateAfter, replaces the token on every
	// FAST login. Tests use it; a server would write a token on every
	// reconnection.
	RotateAlways time.Duration = -1
)

// defaultMechanisms are offered when Config.Mechanisms is nil: SHA-256,
// which every deployed client speaks, and SHA-512, which Conversations
// prefers, each with every channel binding.
var defaultMechanisms = []string{
	"HT-SHA-512-EXPR", "HT-SHA-256-EXPR",
	"HT-SHA-512-ENDP", "HT-SHA-256-ENDP",
	"HT-SHA-512-UNIQ", "HT-SHA-256-UNIQ",
	"HT-SHA-512-NONE", "HT-SHA-256-NONE",
}

// Config configures FAST on the server. It must not change once NewServer
// has used it.
type Config struct {
	// Store keeps the tokens. Required.
	Store Store
	// Sealer seals token secrets before they reach the Store; see
	// NewAESGCM. Required.
	Sealer Sealer
	// Mechanisms lists the HT mechanisms to offer, in the order
	// advertised; each is offered only on streams where it can run. Nil
	// means HT-SHA-512 and HT-SHA-256 with every channel binding.
	Mechanisms []string
	// TTL is how long an issued token is valid. Zero means DefaultTTL; a
	// negative TTL is an error.
	TTL time.Duration
	// RotateAfter is the age at which a token that a client logs in with
	// is replaced by a new one, sent in <success> (XEP-0484 §3.4). Zero
	// means DefaultRotateAfter; RotateAlways replaces it every time. It
	// must be shorter than TTL, and no other negative value is allowed.
	RotateAfter time.Duration
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// Rand is the source of token strings and ids, read for many streams
	// at once. Nil means crypto/rand.
	Rand io.Reader
	// Audit, when not nil, receives an event for every token issued,
	// rotated, invalidated or revoked, once the authentication that did
	// it has succeeded (see sasl2.Finisher). It is called synchronously
	// and must not block. No event carries a token string.
	Audit func(Event)
}

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event.
const (
	// EventIssued: a token was issued on the client's <request-token>.
	EventIssued EventKind = iota + 1
	// EventRotated: a token was issued to replace the one the client
	// logged in with.
	EventRotated
	// EventInvalidated: the client invalidated the token it logged in
	// with, or the token waiting beside it (see Server).
	EventInvalidated
	// EventRevoked: every token of User was revoked by Server.Revoke.
	EventRevoked
)

// Event is an audit record of the server's token bookkeeping.
type Event struct {
	Kind EventKind
	User string
	// ClientID, TokenID, Mechanism and Expiry describe the token; they
	// are empty for EventRevoked.
	ClientID  string
	TokenID   string
	Mechanism string
	Expiry    time.Time
}

// Server is FAST on the server: the sasl2.Extension that advertises
// <fast>, reads <request-token> and <fast> in <authenticate>, and issues,
// rotates and invalidates tokens in <success>; and, through
// sasl2.InlineMechanisms, the HT mechanisms that log in with the tokens.
// Put it in sasl2.Config.Extensions after Bind 2, and not in
// sasl2.Config.Mechanisms: its mechanisms are offered inside <fast>, never
// in <authentication>.
//
// A token is issued only after full authentication, tasks included, to a
// client that sent a valid user-agent id, for an HT mechanism offered on
// the stream; it is stored before <success> is sent, and a storage error
// fails the authentication with temporary-auth-failure. When an extension
// after FAST fails the authentication, the token is invalidated again:
// the client never got it. A token login takes no tasks (XEP-0484 §4):
// the HT mechanisms mark their step Noninteractive, so a policy that asks
// tasks of one fails it with credentials-expired, and the client returns
// to its password and the tasks.
//
// A client that logs out, with <fast invalidate='true'/>, invalidates
// both of its tokens: the one it logged in with and the one waiting
// unused in the New slot. Each is reported with EventInvalidated.
//
// When a password changes or an account is deleted, the host calls
// Revoke (or Store.Revoke) so that no token outlives it.
//
// A Server is safe for concurrent use.
type Server struct {
	store       Store
	sealer      Sealer
	ttl, rotate time.Duration
	now         func() time.Time
	rand        io.Reader
	audit       func(Event)

	// mechs holds the configured mechanisms by name, and offers those to
	// offer on a stream, in order, indexed by the set of channel bindings
	// it has: one bit for each of bindings.
	mechs  map[string]*mechanism
	offers [1 << len(bindings)][]sasl2.Mechanism

	// token makes a token string; tests replace it.
	token func() (string, error)
}

// NewServer returns FAST for a server.
func NewServer(cfg Config) (*Server, error) {
	s := &Server{
		store: cfg.Store, sealer: cfg.Sealer,
		ttl: cfg.TTL, rotate: cfg.RotateAfter,
		now: cfg.Now, rand: cfg.Rand, audit: cfg.Audit,
		mechs: make(map[string]*mechanism),
	}
	if s.store == nil || s.sealer == nil {
		return nil, errors.New("fast: Config needs a Store and a Sealer")
	}
	if s.ttl == 0 {
		s.ttl = DefaultTTL
	}
	if s.rotate == 0 {
		s.rotate = DefaultRotateAfter
	}
	switch {
	case s.ttl < 0:
		return nil, errors.New("fast: TTL must not be negative")
	case s.rotate < 0 && s.rotate != RotateAlways:
		return nil, errors.New(
			"fast: RotateAfter must be RotateAlways or not negative")
	case s.rotate >= s.ttl:
		return nil, errors.New("fast: RotateAfter must be shorter than TTL")
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	s.token = s.newToken

	names := cfg.Mechanisms
	if names == nil {
		names = defaultMechanisms
	}
	var order []*mechanism
	for _, name := range names {
		h, ok := lookup(name)
		if !ok {
			return nil, fmt.Errorf("fast: unknown HT mechanism %q", name)
		}
		if s.mechs[name] == nil {
			m := &mechanism{s: s, ht: h}
			s.mechs[name] = m
			order = append(order, m)
		}
	}
	for set := range s.offers {
		for _, m := range order {
			if set&bindingBit(m.ht.binding) != 0 {
				s.offers[set] = append(s.offers[set], m)
			}
		}
	}
	return s, nil
}

// bindingBit returns the bit that stands for a channel-binding type in the
// index of Server.offers; "" is no channel binding.
func bindingBit(binding string) int {
	for i, b := range bindings {
		if b.binding == binding {
			return 1 << i
		}
	}
	return 0
}

// offer returns the mechanisms to offer on c, in the configured order:
// none without TLS; otherwise those whose channel binding c has. The
// slice is shared: callers must not change it.
func (s *Server) offer(c *sasl2.Conn) []sasl2.Mechanism {
	set := 0
	for _, b := range bindings {
		if usableBinding(c, b.binding) {
			set |= bindingBit(b.binding)
		}
	}
	return s.offers[set]
}

// Namespace implements sasl2.Extension.
func (s *Server) Namespace() string { return NS }

// InlineMechanisms implements sasl2.InlineMechanisms: the HT mechanisms
// that can run on c. -UNIQ is never among them on TLS 1.3, nor -EXPR or
// -ENDP on a stream without that channel binding, nor any without TLS.
//
// The slice is the caller's own.
func (s *Server) InlineMechanisms(c *sasl2.Conn) []sasl2.Mechanism {
	return slices.Clone(s.offer(c))
}

// Advertise implements sasl2.Extension: <fast> with the HT mechanisms that
// InlineMechanisms returns for c, in that order, never with tls-0rtt (see
// Feature.TLS0RTT); nothing when there are none.
func (s *Server) Advertise(c *sasl2.Conn) (sasl2.Element, bool) {
	mechs := s.offer(c)
	if len(mechs) == 0 {
		return sasl2.Element{}, false
	}
	f := Feature{Mechanisms: make([]string, len(mechs))}
	for i, m := range mechs {
		f.Mechanisms[i] = m.Name()
	}
	return f.Element(), true
}

// offered reports whether name is an HT mechanism offered on c.
func (s *Server) offered(c *sasl2.Conn, name string) bool {
	m, ok := s.mechs[name]
	return ok && slices.Contains(c.Inline, name) && m.ht.usable(c)
}

// Request implements sasl2.Extension. It reads the first <fast> and the
// first <request-token> of the request. An HT authentication without
// <fast>, or with one that is malformed, fails with malformed-request
// (XEP-0484 §3.3); a <fast> beside any other mechanism is ignored. A
// <request-token> for a mechanism not offered on c is ignored: the
// authentication goes on, and no token is issued.
func (s *Server) Request(_ context.Context, c *sasl2.Conn,
	a *sasl2.Authenticate, children []sasl2.Element) (sasl2.Request, error) {

	q := &request{s: s}
	var auth *Auth
	var authErr error
	for _, e := range children {
		switch {
		case is(e, "fast") && auth == nil && authErr == nil:
			auth, authErr = ParseAuth(e)
		case is(e, "request-token") && q.want == "":
			if rt, err := ParseRequestToken(e); err == nil &&
				s.offered(c, rt.Mechanism) {
				q.want = rt.Mechanism
			}
		}
	}

	login := s.offered(c, a.Mechanism)
	switch {
	case login && authErr != nil:
		return nil, fail(sasl2.MalformedRequest)
	case login && auth == nil:
		return nil, sasl2.Fail(sasl2.MalformedRequest,
			"token authentication without <fast/>")
	case login:
		q.auth = *auth
	case q.want == "":
		return nil, nil
	}
	return q, nil
}

// request carries one authentication's FAST requests to success.
type request struct {
	s *Server
	// auth is the client's <fast> in a token login.
	auth Auth
	// want is the mechanism of a valid <request-token>, or "".
	want string

	// What Success did, for Finish: the tokens it invalidated, and the
	// token it issued with the kind of its event.
	invalidated []*Token
	issued      *Token
	kind        EventKind
}

// Success implements sasl2.Request: it invalidates, rotates and issues
// tokens as the client asked and the policy says. Every token it issues is
// in the Store before it returns; the audit events wait for Finish. When
// it fails, sasl2 finishes nothing, so it reports at once the
// invalidations that stand.
func (q *request) Success(ctx context.Context, r *sasl2.Result) error {
	err := q.success(ctx, r)
	if err != nil {
		q.Finish(ctx, false)
	}
	return err
}

func (q *request) success(ctx context.Context, r *sasl2.Result) error {
	if r.ClientID == "" {
		// Tokens belong to a client (XEP-0484 §6).
		return nil
	}
	s := q.s
	c, _ := r.Credential.(*credential)
	if c != nil && q.auth.Invalidate {
		// XEP-0484 §3.5: invalidate at once, and issue no token unless
		// one was asked for in the same request.
		if err := q.logout(ctx, r, c); err != nil {
			return err
		}
		if q.want == "" {
			return nil
		}
	}

	switch {
	case q.want != "":
		return q.issue(ctx, r, q.want, factors(r, c), EventIssued)
	case c == nil:
		return nil
	case c.pending != nil && s.now().Before(c.pending.Expiry):
		return q.resend(ctx, r, c)
	case s.rotate == RotateAlways || s.now().Sub(c.token.Issued) >= s.rotate:
		return q.issue(ctx, r, c.token.Mechanism, factors(r, c),
			EventRotated)
	}
	return nil
}

// logout invalidates the token the client logged in with, and the token
// waiting beside it in the New slot: a client that logs out must leave no
// token behind, and it would keep none it had not used yet. A token that
// another request used, replaced or invalidated first is left alone.
func (q *request) logout(ctx context.Context, r *sasl2.Result,
	c *credential) error {

	for _, t := range []*Token{&c.token, c.pending} {
		if t == nil {
			continue
		}
		err := q.s.store.Invalidate(ctx, r.User, r.ClientID, t.ID)
		switch {
		case err == nil:
			q.invalidated = append(q.invalidated, t)
		case !errors.Is(err, ErrConflict):
			return fmt.Errorf("fast: invalidating a token: %w", err)
		}
	}
	return nil
}

// Finish implements sasl2.Finisher. Once <success> is final it reports
// what Success did to Config.Audit. When an extension after FAST failed
// the authentication, the token Success issued is invalidated, since the
// client never receives it, and only the invalidations the client asked
// for are reported: they were not undone. A storage error here leaves the
// unsent token waiting in the New slot, where the next login with the
// current token replaces it or sends it again.
func (q *request) Finish(ctx context.Context, ok bool) {
	s := q.s
	if t := q.issued; t != nil && !ok {
		// ErrConflict: another login replaced or used it meanwhile.
		_ = s.store.Invalidate(ctx, t.User, t.ClientID, t.ID)
	}
	for _, t := range q.invalidated {
		s.event(EventInvalidated, t)
	}
	if q.issued != nil && ok {
		s.event(q.kind, q.issued)
	}
}

// factors returns what a new token records as proven: those of the token
// the client logged in with, or the mechanism of this login and the tasks
// passed.
func factors(r *sasl2.Result, c *credential) []string {
	if c != nil {
		return slices.Clone(c.token.Factors)
	}
	return append([]string{r.Mechanism}, r.Tasks...)
}

// resend sends again the token waiting in the New slot. The client logged
// in with its current token although a newer one waits unused, so the
// <success> that carried the newer one was probably lost. Replacing it
// would gain nothing, and would break a client that did keep it.
//
// A client keeps a token from a token login as bound to the mechanism it
// logged in with, so the waiting token is sent again only when it is
// bound to that mechanism. Otherwise, or when it does not open, a new
// token for that mechanism replaces it.
func (q *request) resend(ctx context.Context, r *sasl2.Result, c *credential) error {
	p := c.pending
	if p.Mechanism == c.token.Mechanism {
		secret, err := q.s.sealer.Open(p.Sealed,
			associated(r.User, r.ClientID, p))
		if err == nil {
			r.Success = append(r.Success, (&Issued{
				Token: string(secret), Expiry: p.Expiry}).Element())
			return nil
		}
	}
	return q.issue(ctx, r, c.token.Mechanism, factors(r, c), EventRotated)
}

// issue makes a token for mech, stores it in the New slot of the client,
// and only then adds it to <success>. Finish reports it as kind.
func (q *request) issue(ctx context.Context, r *sasl2.Result, mech string,
	factors []string, kind EventKind) error {

	s := q.s
	secret, err := s.token()
	if err != nil {
		return fmt.Errorf("fast: making a token: %w", err)
	}
	id, err := s.random(16)
	if err != nil {
		return fmt.Errorf("fast: making a token id: %w", err)
	}
	now := s.now()
	t := &Token{
		ID: id, User: r.User, ClientID: r.ClientID, Mechanism: mech,
		Issued:  now,
		Expiry:  now.Add(s.ttl).UTC().Truncate(time.Second),
		Factors: factors,
	}
	t.Sealed, err = s.sealer.Seal([]byte(secret),
		associated(r.User, r.ClientID, t))
	if err != nil {
		return fmt.Errorf("fast: sealing a token: %w", err)
	}
	if err := s.store.Issue(ctx, t); err != nil {
		return fmt.Errorf("fast: storing a token: %w", err)
	}
	r.Success = append(r.Success,
		(&Issued{Token: secret, Expiry: t.Expiry}).Element())
	q.issued, q.kind = t, kind
	return nil
}

// newToken returns a token string: "secret-token:fast-" (the RFC 8959
// scheme that secret scanners know, as Prosody uses it) and 256 random
// bits.
func (s *Server) newToken() (string, error) {
	r, err := s.random(32)
	if err != nil {
		return "", err
	}
	return "secret-token:fast-" + r, nil
}

// random returns n bytes from the Rand hook in unpadded base64url.
func (s *Server) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Server) event(kind EventKind, t *Token) {
	if s.audit == nil {
		return
	}
	s.audit(Event{
		Kind: kind, User: t.User, ClientID: t.ClientID, TokenID: t.ID,
		Mechanism: t.Mechanism, Expiry: t.Expiry,
	})
}

// Revoke revokes every token of user, on every client, through
// Store.Revoke. Call it when the user's password changes or the account
// is deleted: the next token login of each client fails with
// credentials-expired, and the client falls back to its password.
func (s *Server) Revoke(ctx context.Context, user string) error {
	if err := s.store.Revoke(ctx, user); err != nil {
		return fmt.Errorf("fast: revoking tokens: %w", err)
	}
	if s.audit != nil {
		s.audit(Event{Kind: EventRevoked, User: user})
	}
	return nil
}

// credential is the Step.Credential of a token login.
type credential struct {
	// token is the token used, without its sealed secret, with the count
	// of this login.
	token Token
	// pending is the token in the New slot when the login used the
	// Current one, or nil. Its secret is sealed, as every Store holds it,
	// and only the Server's Sealer opens it.
	pending *Token
}

// Used returns the token the authentication r describes was made with,
// and false when it was not a token login. The token carries no secret;
// its Count is that of this login and its Factors are what the client
// proved when the token was first issued. A sasl2.Policy reads it to
// ask no tasks of a token whose factors still satisfy it.
func Used(r *sasl2.Result) (*Token, bool) {
	c, ok := r.Credential.(*credential)
	if !ok {
		return nil, false
	}
	t := c.token
	t.Factors = slices.Clone(t.Factors)
	return &t, true
}
