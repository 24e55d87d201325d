package scram

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/xmppauth/xmppauth/sasl2"
)

// ServerConfig configures the server mechanisms. It must not change once a
// mechanism uses it.
type ServerConfig struct {
	// Store gives the credentials of users. A nil Store fails every
	// exchange with temporary-auth-failure.
	Store Store
	// Rand is the source of server nonces; nil means crypto/rand.
	Rand io.Reader
	// Secret keys the salts made up for unknown users, so that every
	// attempt for one unknown name sees the same salt. It is
	// secret; 32 random bytes will do. Nil means a random secret drawn
	// once per process, which changes on restart and differs between the
	// nodes of a cluster: give a cluster one shared secret.
	Secret []byte
	// Iterations is the iteration count shown to unknown users; zero means
	// DefaultIterations. Set it to the count real credentials are derived
	// with, or the count tells the two apart.
	Iterations int

	// fixedNonce replaces the random server nonce, for tests that replay
	// published vectors.
	fixedNonce string
}

// Mechanisms returns the six server mechanisms, strongest first:
// SCRAM-SHA-512-PLUS, SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-512,
// SCRAM-SHA-256, SCRAM-SHA-1. A -PLUS mechanism is available on a
// connection with at least one channel binding. The mechanisms are safe for
// concurrent use.
func Mechanisms(cfg *ServerConfig) []sasl2.Mechanism {
	out := make([]sasl2.Mechanism, len(variants))
	for i, v := range variants {
		out[i] = newServer(v, cfg)
	}
	return out
}

// Mechanism returns the server mechanism with the given name, such as
// "SCRAM-SHA-256-PLUS".
func Mechanism(name string, cfg *ServerConfig) (sasl2.Mechanism, error) {
	v, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("scram: unknown mechanism %q", name)
	}
	return newServer(v, cfg), nil
}

// processSecret keys the fake salts of servers configured without a
// Secret.
var processSecret = sync.OnceValue(func() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
})

// server is one mechanism of the family, shared by every connection.
type server struct {
	v      variant
	cfg    *ServerConfig
	secret []byte
}

func newServer(v variant, cfg *ServerConfig) *server {
	if cfg == nil {
		cfg = &ServerConfig{}
	}
	secret := cfg.Secret
	if secret == nil {
		secret = processSecret()
	}
	return &server{v: v, cfg: cfg, secret: secret}
}

// Name implements sasl2.Mechanism.
func (s *server) Name() string { return s.v.name }

// Available implements sasl2.Mechanism.
func (s *server) Available(c *sasl2.Conn) bool {
	return !s.v.plus || len(c.Bindings) > 0
}

// Start implements sasl2.Mechanism.
func (s *server) Start(_ context.Context, c *sasl2.Conn, _ *sasl2.Authenticate) (sasl2.Exchange, error) {
	return &serverExchange{s: s, conn: c}, nil
}

// fake makes up credentials for a user the store does not know: the salt
// is a keyed hash of the name, so every attempt for the name sees the same
// one, and the keys match no proof.
func (s *server) fake(user string) Credentials {
	h := s.v.hash
	salt := mac(crypto.SHA256, s.secret,
		[]byte("scram fake salt\x00"+h.String()+"\x00"+user))
	n := s.cfg.Iterations
	if n <= 0 {
		n = DefaultIterations
	}
	return Credentials{
		Salt:       salt[:saltLen],
		Iterations: n,
		StoredKey:  make([]byte, h.Size()),
		ServerKey:  make([]byte, h.Size()),
	}
}

type serverState int

const (
	awaitFirst serverState = iota
	awaitFinal
	over
)

// serverExchange is one run of a server mechanism.
type serverExchange struct {
	s     *server
	conn  *sasl2.Conn
	state serverState
	asked bool

	header  string // the GS2 header as received
	cbData  []byte // the binding data for 'p', else nil
	user    string
	authzid string
	nonce   string // client and server nonce
	prefix  string // client-first-bare "," server-first ","
	creds   Credentials
	known   bool
}

// Next implements sasl2.Exchange.
func (x *serverExchange) Next(ctx context.Context, data []byte) (sasl2.Step, error) {
	var st sasl2.Step
	var err error
	switch {
	case x.state == awaitFirst && data == nil && !x.asked:
		// No initial response: ask for client-first with an empty
		// challenge (RFC 4422 §5).
		x.asked = true
		return sasl2.Step{Challenge: []byte{}}, nil
	case x.state == awaitFirst:
		st, err = x.first(ctx, data)
	case x.state == awaitFinal:
		st, err = x.final(data)
	default:
		err = malformed("exchange is over")
	}
	if err != nil {
		x.state, x.creds = over, Credentials{}
	}
	return st, err
}

// first answers client-first with server-first.
func (x *serverExchange) first(ctx context.Context, data []byte) (sasl2.Step, error) {
	m, err := parseClientFirst(string(data))
	if err != nil {
		return sasl2.Step{}, err
	}
	if err := x.bind(m); err != nil {
		return sasl2.Step{}, err
	}
	if err := x.lookup(ctx, m.user); err != nil {
		return sasl2.Step{}, err
	}
	snonce, err := newNonce(x.s.cfg.Rand, x.s.cfg.fixedNonce)
	if err != nil {
		return sasl2.Step{}, err
	}

	x.header, x.user, x.authzid = m.header, m.user, m.authzid
	x.nonce = m.nonce + snonce
	sf := x.serverFirst()
	x.prefix = m.bare + "," + string(sf) + ","
	x.state = awaitFinal
	return sasl2.Step{Challenge: sf}, nil
}

// bind checks the GS2 channel-binding flag against the mechanism and the
// connection (RFC 5802 §6 and §7).
func (x *serverExchange) bind(m *clientFirst) error {
	plus := x.s.v.plus
	switch m.flag {
	case 'p':
		data, ok := x.conn.Binding(m.cbType)
		if !plus || !ok || len(data) == 0 {
			return denied()
		}
		x.cbData = data
	case 'y':
		// The client could bind but believes the server cannot. Where
		// this connection offered binding, someone stripped the offer.
		c := x.conn
		if plus || len(c.AdvertisedBindings) > 0 && anyPlus(c.Advertised) {
			return denied()
		}
	case 'n':
		if plus {
			return denied()
		}
	}
	return nil
}

// lookup reads the user's credentials, or makes some up.
func (x *serverExchange) lookup(ctx context.Context, user string) error {
	s := x.s
	if s.cfg.Store == nil {
		return errors.New("scram: no store configured")
	}
	c, err := s.cfg.Store.Credentials(ctx, user, s.v.hash)
	switch {
	case errors.Is(err, ErrUnknownUser):
		x.creds, x.known = s.fake(user), false
	case err != nil:
		return fmt.Errorf("scram: reading credentials: %w", err)
	case !c.valid(s.v.hash):
		return errors.New("scram: stored credentials are unusable")
	default:
		x.creds, x.known = c, true
	}
	return nil
}

// serverFirst builds server-first, with the XEP-0474 hash of what this
// connection advertised.
func (x *serverExchange) serverFirst() []byte {
	enc := base64.StdEncoding
	b := make([]byte, 0, 64+len(x.nonce)+enc.EncodedLen(len(x.creds.Salt)))
	b = append(append(b, "r="...), x.nonce...)
	b = enc.AppendEncode(append(b, ",s="...), x.creds.Salt)
	b = strconv.AppendInt(append(b, ",i="...), int64(x.creds.Iterations), 10)
	if c := x.conn; len(c.Advertised) > 0 {
		b = appendSSDP(append(b, ",h="...), x.s.v.hash, c.Advertised,
			c.AdvertisedBindings)
	}
	return b
}

// final checks client-final and answers with the server signature.
func (x *serverExchange) final(data []byte) (sasl2.Step, error) {
	h := x.s.v.hash
	m, err := parseClientFinal(string(data))
	if err != nil {
		return sasl2.Step{}, err
	}

	// c= carries exactly the GS2 header as received, then the binding
	// data for 'p' only; the nonce is the combined one.
	want := make([]byte, 0, len(x.header)+len(x.cbData))
	want = append(append(want, x.header...), x.cbData...)
	if subtle.ConstantTimeCompare(m.binding, want) != 1 ||
		m.nonce != x.nonce || len(m.proof) != h.Size() {
		return sasl2.Step{}, denied()
	}

	// ClientKey := ClientProof XOR HMAC(StoredKey, AuthMessage), and
	// H(ClientKey) must be StoredKey (RFC 5802 §3).
	am := make([]byte, 0, len(x.prefix)+len(m.withoutProof))
	am = append(append(am, x.prefix...), m.withoutProof...)
	key := mac(h, x.creds.StoredKey, am)
	subtle.XORBytes(key, key, m.proof)
	if subtle.ConstantTimeCompare(sum(h, key), x.creds.StoredKey) != 1 ||
		!x.known {
		return sasl2.Step{}, denied()
	}

	sig := mac(h, x.creds.ServerKey, am)
	x.state = over
	v := make([]byte, 0, 2+base64.StdEncoding.EncodedLen(len(sig)))
	v = base64.StdEncoding.AppendEncode(append(v, "v="...), sig)
	return sasl2.Step{
		Done: true, User: x.user, Authzid: x.authzid, AdditionalData: v,
	}, nil
}

func denied() error { return sasl2.Fail(sasl2.NotAuthorized, "") }

func malformed(text string) error {
	return sasl2.Fail(sasl2.MalformedRequest, text)
}

// clientFirst is a parsed client-first message.
type clientFirst struct {
	header  string // gs2-header, both commas included
	bare    string // client-first-message-bare
	flag    byte   // 'n', 'y' or 'p'
	cbType  string
	authzid string
	user    string
	nonce   string
}

// parseClientFirst parses client-first (RFC 5802 §7):
//
//	gs2-header "n=" saslname ",r=" c-nonce ["," extensions]
//
// where gs2-header is ("n" / "y" / "p=" cb-name) "," ["a=" saslname] ",".
func parseClientFirst(msg string) (*clientFirst, error) {
	if !utf8.ValidString(msg) || strings.IndexByte(msg, 0) >= 0 {
		return nil, malformed("client-first is not UTF-8 text")
	}
	m := &clientFirst{}
	flag, rest, ok := strings.Cut(msg, ",")
	switch {
	case !ok:
		return nil, malformed("no GS2 header")
	case flag == "n" || flag == "y":
		m.flag = flag[0]
	case strings.HasPrefix(flag, "p=") && cbName(flag[2:]):
		m.flag, m.cbType = 'p', flag[2:]
	default:
		return nil, malformed("bad channel-binding flag")
	}
	authz, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, malformed("no GS2 header")
	}
	if authz != "" {
		name, found := strings.CutPrefix(authz, "a=")
		if m.authzid, ok = unescape(name); !found || !ok {
			return nil, malformed("bad authzid")
		}
	}
	m.header, m.bare = msg[:len(msg)-len(bare)], bare

	a, rest, more, ok := split(bare)
	if ok && a.key == 'm' {
		// A mandatory extension we do not know (RFC 5802 §5.1).
		return nil, denied()
	}
	if !ok || a.key != 'n' || !more {
		return nil, malformed("no username")
	}
	if m.user, ok = unescape(a.value); !ok {
		return nil, malformed("bad username")
	}
	a, rest, more, ok = split(rest)
	if !ok || a.key != 'r' || !printable(a.value) {
		return nil, malformed("bad nonce")
	}
	m.nonce = a.value
	return m, extensions(rest, more)
}

// extensions checks the optional attributes that end a client message. It
// ignores them, but they stay in AuthMessage.
func extensions(rest string, more bool) error {
	for more {
		var a attr
		var ok bool
		a, rest, more, ok = split(rest)
		if !ok {
			return malformed("bad attribute")
		}
		if a.key == 'm' {
			return denied()
		}
	}
	return nil
}

// clientFinal is a parsed client-final message.
type clientFinal struct {
	withoutProof string
	binding      []byte
	nonce        string
	proof        []byte
}

// parseClientFinal parses client-final (RFC 5802 §7):
//
//	"c=" base64 ",r=" nonce ["," extensions] ",p=" base64
func parseClientFinal(msg string) (*clientFinal, error) {
	if !utf8.ValidString(msg) || strings.IndexByte(msg, 0) >= 0 {
		return nil, malformed("client-final is not UTF-8 text")
	}
	m := &clientFinal{}
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return nil, malformed("no proof")
	}
	var ok bool
	m.withoutProof = msg[:i]
	if m.proof, ok = decode64(msg[i+3:]); !ok {
		return nil, malformed("bad proof")
	}

	a, rest, more, ok := split(m.withoutProof)
	if !ok || a.key != 'c' || !more {
		return nil, malformed("no channel binding")
	}
	if m.binding, ok = decode64(a.value); !ok {
		return nil, malformed("bad channel binding")
	}
	a, rest, more, ok = split(rest)
	if !ok || a.key != 'r' {
		return nil, malformed("no nonce")
	}
	m.nonce = a.value
	return m, extensions(rest, more)
}
