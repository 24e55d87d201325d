package fast

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xmppauth/xmppauth/sasl2"
)

// ClientToken is what a client keeps of one token. Token is secret: keep
// it like a password, out of the user interface and out of backups
// (XEP-0484 §6). Its String, GoString and LogValue leave it out; its JSON
// encoding, for a Keeper, holds it.
type ClientToken struct {
	// Token is the token string as the server sent it.
	Token string `json:"token"`
	// Mechanism is the HT mechanism the token is bound to, in the
	// server's spelling.
	Mechanism string `json:"mechanism"`
	// Expiry is when the server stops accepting the token.
	Expiry time.Time `json:"expiry"`
	// Count is the count sent with the token's latest use, 0 before the
	// first; the next use sends Count+1.
	Count int64 `json:"count"`
}

// String returns a description of t that leaves the token string out, so
// that %v and %+v never print it.
func (t ClientToken) String() string {
	return fmt.Sprintf("{Token:%s Mechanism:%s Expiry:%s Count:%d}",
		redacted, t.Mechanism, t.Expiry.Format(time.RFC3339), t.Count)
}

// GoString is String behind the type name, for %#v.
func (t ClientToken) GoString() string { return "fast.ClientToken" + t.String() }

// LogValue implements slog.LogValuer: the mechanism, expiry and count,
// without the token string.
func (t ClientToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("mechanism", t.Mechanism),
		slog.Time("expiry", t.Expiry), slog.Int64("count", t.Count))
}

// redacted stands in for a token string in descriptions.
const redacted = "[redacted]"

// Kept is what a client keeps for one account and user-agent id. The zero
// value keeps nothing.
type Kept struct {
	// Current is the newest token, used first.
	Current *ClientToken `json:"current,omitempty"`
	// Previous is the token Current replaced, kept until Current has
	// worked once: the server keeps it valid until then, so a client that
	// cannot use Current still gets in (XEP-0484 §4).
	Previous *ClientToken `json:"previous,omitempty"`
}

// LogValue implements slog.LogValuer, so that a logged Kept shows no token
// string; its JSON encoding, for a Keeper, holds them.
func (k Kept) LogValue() slog.Value {
	var attrs []slog.Attr
	if k.Current != nil {
		attrs = append(attrs, slog.Any("current", *k.Current))
	}
	if k.Previous != nil {
		attrs = append(attrs, slog.Any("previous", *k.Previous))
	}
	return slog.GroupValue(attrs...)
}

// Keeper stores what a client keeps of its tokens. Save must be atomic (a
// crash leaves the old or the new Kept, never a mix) and durable before it
// returns: a count sent must never be sent again. A file-backed Keeper can
// write Kept as JSON to a temporary file and rename it over the old one.
//
// A Keeper has no compare-and-set: a Client loads, changes and saves.
// Two processes must therefore not share one for the same account and
// client id: both could send the same count, and one login is refused as
// a replay, or each could overwrite the other's tokens. Give each process
// its own client id, or its own Keeper.
type Keeper interface {
	// Load returns what is kept for account and clientID, the zero Kept
	// when nothing is.
	Load(account, clientID string) (Kept, error)
	// Save replaces what is kept for account and clientID; the zero Kept
	// removes it.
	Save(account, clientID string, k Kept) error
}

// MemoryKeeper is a Keeper in memory, for tests and clients that log in
// with the password after every restart. It is safe for concurrent use;
// the zero value keeps nothing.
type MemoryKeeper struct {
	mu   sync.Mutex
	kept map[[2]string]Kept
}

// NewMemoryKeeper returns an empty MemoryKeeper.
func NewMemoryKeeper() *MemoryKeeper { return &MemoryKeeper{} }

// Load implements Keeper.
func (m *MemoryKeeper) Load(account, clientID string) (Kept, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.kept[[2]string{account, clientID}].clone(), nil
}

// Save implements Keeper.
func (m *MemoryKeeper) Save(account, clientID string, k Kept) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := [2]string{account, clientID}
	if k.Current == nil && k.Previous == nil {
		delete(m.kept, key)
		return nil
	}
	if m.kept == nil {
		m.kept = make(map[[2]string]Kept)
	}
	m.kept[key] = k.clone()
	return nil
}

// clone returns a copy of k that shares no memory with it.
func (k Kept) clone() Kept {
	cp := func(t *ClientToken) *ClientToken {
		if t == nil {
			return nil
		}
		c := *t
		return &c
	}
	return Kept{Current: cp(k.Current), Previous: cp(k.Previous)}
}

// ClientConfig configures FAST on the client.
type ClientConfig struct {
	// Keeper stores the tokens. Required.
	Keeper Keeper
	// Account is the bare JID that logs in; its localpart is the HT
	// authentication identity. XEP-0484 §6 asks the client to send it as
	// the stream's 'from'.
	Account string
	// ClientID is the user-agent id that sasl2.ClientConfig.UserAgent
	// sends, the same on every connection: tokens belong to it. Without a
	// valid id the client neither asks for tokens nor uses them.
	ClientID string
	// Mechanisms lists the HT mechanisms to ask tokens for, strongest
	// first. Nil means every one the package implements, in the order
	// of Mechanisms: channel binding first, then the hash. Names are
	// compared in the IANA spelling, so that "HT-SHA-3-256-NONE" stands
	// for "HT-SHA3-256-NONE"; names the package does not implement are
	// ignored.
	Mechanisms []string
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// ErrRejected is returned, wrapping the server's *sasl2.Failure, by
// Client.Failed when the server refused a token it checked. The token is
// discarded. The client authenticates again on a new connection: with the
// token kept before it if there is one (HasToken), else with its
// password. A new connection, because some servers (Prosody) refuse a
// second <authenticate> on a stream whose first one failed.
var ErrRejected = errors.New("fast: the server refused the token")

// Client is FAST on the client, a sasl2.ClientExtension that also offers,
// through sasl2.ClientInlineMechanisms, the HT mechanism of the token it
// holds. Put it in sasl2.ClientConfig.Extensions, with the password
// mechanisms in Mechanisms: when it holds a token that the server's
// <fast> and the connection allow, the token is used first.
//
// On a password login it asks for a token for the strongest mechanism
// both ends allow, and keeps the token that <success> brings. On a token
// login it sends <fast count='…'/>, with a count that rises and is saved
// before it is sent, verifies the server's HT answer, and keeps a rotated
// token while holding on to the one it logged in with until the new one
// has worked. When authentication fails, the host must call Failed. A
// Keeper that fails never fails an authentication; see KeeperErr.
//
// A Client serves one negotiation at a time and is not safe for
// concurrent use.
type Client struct {
	cfg      ClientConfig
	user     string // the authcid, or "" for none
	clientID string // canonical, or "" for none
	logout   bool   // Invalidate was called; the next negotiation takes it

	// The negotiation under way.
	invalidate bool // it is a logout
	offered    *Feature
	attempt    *attempt
	requested  string
	keepErr    error // see KeeperErr
}

// attempt is a token login under way.
type attempt struct {
	token      ClientToken // as sent, count included
	invalidate bool
}

// NewClient returns FAST for a client.
func NewClient(cfg ClientConfig) *Client {
	c := &Client{cfg: cfg}
	bare, _, _ := strings.Cut(cfg.Account, "/")
	if user, _, ok := strings.Cut(bare, "@"); ok && validAuthcid(user) {
		c.user = user
	}
	c.clientID, _ = (&sasl2.UserAgent{ID: cfg.ClientID}).ClientID()
	if c.cfg.Now == nil {
		c.cfg.Now = time.Now
	}
	return c
}

// Invalidate makes the next negotiation a logout. A token login asks the
// server to invalidate the token (XEP-0484 §3.5) and requests no other,
// and once it succeeds every token kept for the account and client is
// dropped; a password login asks for no token.
//
// It applies to the next negotiation only, the one that the next
// sasl2.Client.Start begins, however that ends: with a password login,
// with a failure, or with an error from Start before anything is sent.
// A host that retries a logout on a new connection calls it again.
func (c *Client) Invalidate() { c.logout = true }

// HasToken reports whether a token is kept that has not expired, so that
// the next authentication may need no password.
func (c *Client) HasToken() bool {
	k, err := c.load()
	if err != nil {
		return false
	}
	now := c.cfg.Now()
	return slices.ContainsFunc([]*ClientToken{k.Current, k.Previous},
		func(t *ClientToken) bool { return t != nil && now.Before(t.Expiry) })
}

func (c *Client) load() (Kept, error) {
	if c.clientID == "" || c.user == "" {
		return Kept{}, nil
	}
	return c.cfg.Keeper.Load(c.cfg.Account, c.clientID)
}

func (c *Client) save(k Kept) error {
	if err := c.cfg.Keeper.Save(c.cfg.Account, c.clientID, k); err != nil {
		return fmt.Errorf("fast: keeping tokens: %w", err)
	}
	return nil
}

// InlineMechanisms implements sasl2.ClientInlineMechanisms: the HT
// mechanism of the kept token to log in with, when the server's <fast>
// on this connection offers it and the connection has its channel
// binding. The newest token is preferred; none that has expired is used.
// A token that cannot be used here is kept for a later connection, and
// the client logs in with its password meanwhile.
//
// sasl2.Client.Start calls it first: it begins a negotiation, which takes
// the logout that Invalidate asked for.
func (c *Client) InlineMechanisms(conn *sasl2.Conn,
	inline []sasl2.Element) []sasl2.ClientMechanism {

	c.reset()
	c.invalidate, c.logout = c.logout, false
	for _, e := range inline {
		if f, err := ParseFeature(e); err == nil {
			c.offered = f
			break
		}
	}
	if c.offered == nil {
		return nil
	}
	k, err := c.load()
	if err != nil {
		c.keepErr = fmt.Errorf("fast: reading tokens: %w", err)
		return nil
	}
	if t := c.usable(conn, k); t != nil {
		h, _ := lookup(t.Mechanism)
		m := &clientMechanism{c: c, ht: h, token: t.Token}
		return []sasl2.ClientMechanism{m}
	}
	return nil
}

// reset forgets the negotiation under way, if any.
func (c *Client) reset() {
	c.invalidate, c.offered, c.attempt, c.requested = false, nil, nil, ""
	c.keepErr = nil
}

// usable returns the kept token to log in with on conn, or nil: one that
// has not expired, whose mechanism the server's <fast> offers here and
// whose channel binding conn has.
func (c *Client) usable(conn *sasl2.Conn, k Kept) *ClientToken {
	now := c.cfg.Now()
	for _, t := range []*ClientToken{k.Current, k.Previous} {
		if t == nil || !now.Before(t.Expiry) ||
			!slices.Contains(c.offered.Mechanisms, t.Mechanism) {
			continue
		}
		if h, ok := lookup(t.Mechanism); ok && h.usable(conn) {
			return t
		}
	}
	return nil
}

// best returns the mechanism to ask a token for on conn: the strongest
// that the server offers, the configuration allows and conn can run, in
// the server's spelling; or "".
func (c *Client) best(conn *sasl2.Conn) string {
	best, rank := "", -1
	for _, name := range c.offered.Mechanisms {
		h, ok := lookup(name)
		if !ok || !h.usable(conn) {
			continue
		}
		r := h.rank
		if c.cfg.Mechanisms != nil {
			r = slices.IndexFunc(c.cfg.Mechanisms, func(name string) bool {
				m, ok := lookup(name)
				return ok && m.canonical == h.canonical
			})
			if r < 0 {
				continue
			}
		}
		if rank < 0 || r < rank {
			best, rank = name, r
		}
	}
	return best
}

// Request implements sasl2.ClientExtension: <fast> on a token login;
// otherwise, when the server offers FAST and the client has a valid id,
// <request-token> for the best mechanism (XEP-0484 §3.2).
func (c *Client) Request(conn *sasl2.Conn, _ []sasl2.Element) (sasl2.Element, bool) {
	logout := c.invalidate
	switch {
	case c.offered == nil:
		return sasl2.Element{}, false
	case c.attempt != nil:
		c.attempt.invalidate = logout
		a := Auth{Count: c.attempt.token.Count, Invalidate: logout}
		return a.Element(), true
	case c.clientID == "" || c.user == "" || logout:
		return sasl2.Element{}, false
	}
	c.requested = c.best(conn)
	if c.requested == "" {
		return sasl2.Element{}, false
	}
	return (&RequestToken{Mechanism: c.requested}).Element(), true
}

// Success implements sasl2.ClientExtension. It keeps the token in <token>,
// unless the expiry is not an XEP-0082 DateTime with a zone or has passed,
// or the token is empty; the token kept before is then kept. After a
// token login it drops the previous token once the current one has
// worked, and every token after an invalidation.
//
// An error of the Keeper does not fail the authentication, which the
// server has accepted: a token not kept costs at most a password login
// later, and the server keeps the previous one valid meanwhile. KeeperErr
// reports it.
func (c *Client) Success(s *sasl2.Success) error {
	if err := c.success(s); err != nil {
		c.keepErr = err
	}
	return nil
}

// KeeperErr returns the Keeper's error in the latest negotiation, or nil:
// tokens that could not be read, a token login skipped because its count
// could not be saved before it was sent (the password was used instead),
// or a token that <success> brought and could not be kept. None of them
// fails the authentication; a host logs it, or tells the user that the
// device will need its password again.
func (c *Client) KeeperErr() error { return c.keepErr }

// success does the bookkeeping of Success.
func (c *Client) success(s *sasl2.Success) error {
	a, mech := c.attempt, c.requested
	c.invalidate, c.attempt, c.requested = false, nil, ""
	if a != nil {
		mech = a.token.Mechanism
	}
	var issued *Issued
	for _, e := range s.Extensions {
		if is(e, "token") {
			if i, err := ParseIssued(e); err == nil &&
				c.cfg.Now().Before(i.Expiry) {
				issued = i
			}
			break
		}
	}
	if a == nil && (issued == nil || mech == "") {
		return nil
	}

	k, err := c.load()
	if err != nil {
		return fmt.Errorf("fast: reading tokens: %w", err)
	}
	if a != nil && a.invalidate {
		return c.save(Kept{})
	}
	var used *ClientToken
	if a != nil {
		used = find(k, a.token.Token)
		if used != nil && used == k.Current {
			k.Previous = nil
		}
	}
	if issued != nil && mech != "" {
		k = keep(k, issued, mech, used)
	}
	return c.save(k)
}

// find returns the kept token whose string is tok, or nil.
func find(k Kept, tok string) *ClientToken {
	for _, t := range []*ClientToken{k.Current, k.Previous} {
		if t != nil && t.Token == tok {
			return t
		}
	}
	return nil
}

// keep makes issued the current token, bound to mech. The token that was
// used to log in, or else the current one, becomes the previous token. A
// token sent again keeps its count.
func keep(k Kept, issued *Issued, mech string, used *ClientToken) Kept {
	if k.Current != nil && k.Current.Token == issued.Token {
		k.Current.Expiry = issued.Expiry
		return k
	}
	prev := k.Current
	if used != nil {
		prev = used
	}
	return Kept{
		Current: &ClientToken{
			Token: issued.Token, Mechanism: mech, Expiry: issued.Expiry,
		},
		Previous: prev,
	}
}

// Failed tells the client how the authentication it took part in ended,
// with the error from sasl2.Client.Start or Receive, and returns the error
// for the host. It ends the negotiation, and with it any logout that
// Invalidate asked for.
//
// After a token login that the server refused, with not-authorized,
// credentials-expired or any other condition that judges the token, the
// token is discarded (XEP-0484 §6) and the error wraps ErrRejected:
// authenticate again on a new connection. The token is kept when the
// server never checked it: on invalid-mechanism, when the server does not
// take the token's mechanism on this connection, and on
// temporary-auth-failure or aborted. Any other error is returned as it is.
func (c *Client) Failed(err error) error {
	a := c.attempt
	c.invalidate, c.attempt, c.requested = false, nil, ""
	var f *sasl2.Failure
	if a == nil || !errors.As(err, &f) || unchecked(f.Condition) {
		return err
	}

	k, lerr := c.load()
	if lerr != nil {
		return errors.Join(err, lerr)
	}
	switch t := find(k, a.token.Token); {
	case t == nil:
		// Gone already: another negotiation dropped it.
		return fmt.Errorf("%w: %w", ErrRejected, err)
	case t == k.Current:
		k.Current, k.Previous = k.Previous, nil
	default:
		k.Previous = nil
	}
	if serr := c.save(k); serr != nil {
		return errors.Join(err, serr)
	}
	return fmt.Errorf("%w: %w", ErrRejected, err)
}

// unchecked reports whether a failure with condition says nothing of the
// token it refused: the server did not take its mechanism here
// (invalid-mechanism), or could not or did not finish.
func unchecked(condition sasl2.Condition) bool {
	switch condition {
	case sasl2.InvalidMechanism, sasl2.TemporaryAuthFailure, sasl2.Aborted:
		return true
	}
	return false
}

// clientMechanism is the HT mechanism of one kept token.
type clientMechanism struct {
	c     *Client
	ht    *ht
	token string
}

// Name implements sasl2.ClientMechanism: the mechanism the token is bound
// to.
func (m *clientMechanism) Name() string { return m.ht.name }

// Start implements sasl2.ClientMechanism. It raises the token's count and
// saves it before anything is sent. When the Keeper cannot read or save
// the count, it returns sasl2.ErrSkip, so that the client logs in with the
// next mechanism, its password; KeeperErr then reports the error.
func (m *clientMechanism) Start(_ context.Context,
	conn *sasl2.Conn) (sasl2.ClientExchange, error) {

	c := m.c
	k, err := c.load()
	if err != nil {
		c.keepErr = fmt.Errorf("fast: reading tokens: %w", err)
		return nil, sasl2.ErrSkip
	}
	t := find(k, m.token)
	if t == nil || !m.ht.usable(conn) {
		return nil, sasl2.ErrSkip
	}
	if t.Count >= MaxCount {
		// Spent: no higher count can be sent.
		return nil, sasl2.ErrSkip
	}
	t.Count++
	if err := c.save(k); err != nil {
		// Nothing was sent: log in with the password rather than risk
		// sending a count that might be sent again.
		c.keepErr = err
		return nil, sasl2.ErrSkip
	}
	c.attempt = &attempt{token: *t}
	return &clientExchange{
		ht: m.ht, user: c.user, token: []byte(m.token),
		cb: m.ht.cbData(conn),
	}, nil
}

// clientExchange is one HT authentication on the client.
type clientExchange struct {
	ht          *ht
	user        string
	token, cb   []byte
	initialSent bool
}

// Initial implements sasl2.ClientExchange.
func (x *clientExchange) Initial() ([]byte, error) {
	x.initialSent = true
	return draft.initiator(x.ht, x.user, x.token, x.cb), nil
}

// Next implements sasl2.ClientExchange: HT has no challenges once the
// initial response was sent.
func (x *clientExchange) Next(challenge []byte) ([]byte, error) {
	if !x.initialSent && len(challenge) == 0 {
		return x.Initial()
	}
	return nil, errors.New("fast: unexpected challenge")
}

// Verify implements sasl2.ClientExchange: the server proves that it knows
// the token and sees the same channel binding. No answer is a failure.
func (x *clientExchange) Verify(additional []byte) error {
	want := draft.responder(x.ht, x.token, x.cb)
	if additional == nil || !hmac.Equal(want, additional) {
		return errors.New("fast: the server's HT answer does not verify")
	}
	return nil
}
