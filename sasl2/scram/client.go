package scram

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xmppauth/xmppauth/sasl2"
)

// DefaultMaxIterations is the largest iteration count a client accepts when
// none is configured: high enough for current advice on PBKDF2, low enough
// that a hostile server cannot make the client spin for minutes.
const DefaultMaxIterations = 10_000_000

// ErrDowngrade reports an offer that looks tampered with: channel binding
// stripped from the stream features, or an XEP-0474 hash that does not
// match them. Hosts may warn the user of a possible attack.
var ErrDowngrade = errors.New("scram: possible downgrade attack")

// ClientConfig configures the client mechanisms. A nil *ClientConfig
// means the defaults. It must not change once a mechanism uses it.
type ClientConfig struct {
	// Authzid is the authorization identity to request, or "" to act as
	// the authenticated user, the usual case.
	Authzid string
	// MinIterations is the smallest iteration count accepted from the
	// server; zero means DefaultIterations (RFC 7677 §4).
	MinIterations int
	// MaxIterations is the largest; zero means DefaultMaxIterations.
	MaxIterations int
	// Rand is the source of client nonces; nil means crypto/rand.
	Rand io.Reader
	// RequireSSDP refuses a server-first message without the XEP-0474
	// hash. Set it for a server that sent one before, as a pin.
	RequireSSDP bool
	// Verified, when not nil, is called once the server has proved
	// itself, with whether its server-first carried an XEP-0474 hash that
	// matched. A host may record true as the pin for RequireSSDP.
	Verified func(ssdp bool)

	// fixedNonce replaces the random client nonce and finalExtensions is
	// appended to client-final-without-proof, for tests that replay
	// published vectors.
	fixedNonce      string
	finalExtensions string
}

// ClientMechanisms returns the six client mechanisms for one account,
// strongest first: SCRAM-SHA-512-PLUS, SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS,
// SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1. username is the localpart; it
// is escaped but not otherwise prepared. password is prepared with
// SASLprep. The password is secret and kept in the mechanisms.
//
// Start applies the rules of XEP-0440 §5 as revised by XEP-0474 §4 to the
// server's offer on the connection; see the package example.
func ClientMechanisms(username, password string, cfg *ClientConfig) []sasl2.ClientMechanism {
	out := make([]sasl2.ClientMechanism, len(variants))
	for i, v := range variants {
		out[i] = newClient(v, username, password, cfg)
	}
	return out
}

// ClientMechanism returns the client mechanism with the given name.
func ClientMechanism(name, username, password string, cfg *ClientConfig) (sasl2.ClientMechanism, error) {
	v, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("scram: unknown mechanism %q", name)
	}
	return newClient(v, username, password, cfg), nil
}

// client is one mechanism for one account. Start gives every exchange its
// own state, so it is safe for concurrent use.
type client struct {
	v        variant
	username string
	password string
	cfg      *ClientConfig
}

func newClient(v variant, username, password string, cfg *ClientConfig) *client {
	if cfg == nil {
		cfg = &ClientConfig{}
	}
	return &client{v: v, username: username, password: password, cfg: cfg}
}

// Name implements sasl2.ClientMechanism.
func (m *client) Name() string { return m.v.name }

// Start implements sasl2.ClientMechanism.
func (m *client) Start(_ context.Context, c *sasl2.Conn) (sasl2.ClientExchange, error) {
	if m.username == "" || strings.IndexByte(m.username, 0) >= 0 ||
		!utf8.ValidString(m.username) {
		return nil, errors.New("scram: bad username")
	}
	x := &clientExchange{m: m}
	var err error
	if x.flag, x.cb, x.needSSDP, err = choose(c, m.v.plus); err != nil {
		return nil, err
	}
	if x.password, err = prepare(m.password); err != nil {
		return nil, err
	}
	x.nonce, err = newNonce(m.cfg.Rand, m.cfg.fixedNonce)
	if err != nil {
		return nil, err
	}

	// The hash covers the offer as received on this stream (XEP-0474 §3).
	x.advertised = slices.Clone(c.Advertised)
	if c.AdvertisedBindings != nil {
		x.bindings = slices.Clone(c.AdvertisedBindings)
	}
	x.header = x.flag + ","
	if m.cfg.Authzid != "" {
		x.header += "a=" + escape(m.cfg.Authzid)
	}
	x.header += ","
	x.bare = "n=" + escape(m.username) + ",r=" + x.nonce
	return x, nil
}

// choose decides the GS2 channel-binding flag by XEP-0440 §5, as revised by
// XEP-0474 §4. needSSDP reports that the exchange may go on only if
// server-first carries a matching XEP-0474 hash.
func choose(c *sasl2.Conn, plus bool) (flag string, cb []byte, needSSDP bool, err error) {
	serverPlus, types := anyPlus(c.Advertised), c.AdvertisedBindings
	switch {
	case len(c.Bindings) == 0:
		// Rule 2: without binding data the client cannot bind.
		if plus {
			return "", nil, false, sasl2.ErrSkip
		}
		return "n", nil, false, nil
	case serverPlus && len(types) == 0:
		// Rule 4: -PLUS offered without types means stripped types.
		return "", nil, false, fmt.Errorf(
			"%w: -PLUS offered without channel-binding types", ErrDowngrade)
	case !serverPlus && len(types) > 0:
		// Rule 5: types offered without -PLUS means stripped mechanisms.
		return "", nil, false, fmt.Errorf(
			"%w: channel-binding types offered without -PLUS", ErrDowngrade)
	case !serverPlus:
		// Rule 3: the server offers no binding; 'y' says we could.
		if plus {
			return "", nil, false, sasl2.ErrSkip
		}
		return "y", nil, false, nil
	}

	// Both offered. Rule 7: the strongest type both ends know.
	for _, t := range []string{
		sasl2.TLSExporter, sasl2.TLSServerEndPoint, sasl2.TLSUnique,
	} {
		data, ok := c.Binding(t)
		if plus && ok && len(data) > 0 && slices.Contains(types, t) {
			return "p=" + t, data, false, nil
		}
	}
	if plus {
		return "", nil, false, sasl2.ErrSkip
	}
	// Rule 6 as XEP-0474 revises it: without binding, go on with 'n' only
	// if the hash in server-first proves the offer genuine.
	return "n", nil, true, nil
}

type clientState int

const (
	sentFirst clientState = iota
	sentFinal
	verified
	failed
)

// clientExchange is one run of a client mechanism.
type clientExchange struct {
	m        *client
	state    clientState
	password string // prepared; secret

	flag     string
	cb       []byte
	needSSDP bool
	header   string
	bare     string
	nonce    string

	advertised []string
	bindings   []string

	serverSig []byte
	ssdp      bool
}

// Initial implements sasl2.ClientExchange.
func (x *clientExchange) Initial() ([]byte, error) {
	if x.state != sentFirst {
		return nil, errors.New("scram: exchange already under way")
	}
	return []byte(x.header + x.bare), nil
}

// Next implements sasl2.ClientExchange: it checks server-first and
// returns client-final.
func (x *clientExchange) Next(challenge []byte) ([]byte, error) {
	if x.state != sentFirst {
		x.state = failed
		return nil, errors.New("scram: unexpected challenge")
	}
	x.state = failed
	sf := string(challenge)
	nonce, salt, iter, err := x.serverFirst(sf)
	if err != nil {
		return nil, err
	}
	h := x.m.v.hash
	salted, err := saltedPassword(h, x.password, salt, iter)
	x.password = ""
	if err != nil {
		return nil, err
	}

	final := "c=" + base64.StdEncoding.EncodeToString(
		append([]byte(x.header), x.cb...)) + ",r=" + nonce +
		x.m.cfg.finalExtensions
	clientKey, stored, serverKey := keys(h, salted)
	am := []byte(x.bare + "," + sf + "," + final)
	proof := mac(h, stored, am)
	subtle.XORBytes(proof, proof, clientKey)
	x.serverSig = mac(h, serverKey, am)
	x.state = sentFinal
	return []byte(final + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

// serverFirst checks server-first (RFC 5802 §5.1):
//
//	"r=" nonce ",s=" salt ",i=" iteration-count ["," extensions]
func (x *clientExchange) serverFirst(msg string) (nonce string, salt []byte, iter int, err error) {
	fail := func(text string) (string, []byte, int, error) {
		return "", nil, 0, errors.New("scram: " + text)
	}
	if !utf8.ValidString(msg) {
		return fail("server-first is not UTF-8 text")
	}
	a, rest, more, ok := split(msg)
	if ok && a.key == 'm' {
		return fail("server requires an unknown extension")
	}
	if !ok || a.key != 'r' || !more || !printable(a.value) ||
		len(a.value) <= len(x.nonce) || !strings.HasPrefix(a.value, x.nonce) {
		return fail("server nonce does not extend ours")
	}
	nonce = a.value
	a, rest, more, ok = split(rest)
	if !ok || a.key != 's' || !more {
		return fail("no salt")
	}
	if salt, ok = decode64(a.value); !ok || len(salt) == 0 {
		return fail("bad salt")
	}
	a, rest, more, ok = split(rest)
	if !ok || a.key != 'i' {
		return fail("no iteration count")
	}
	if iter, err = x.iterations(a.value); err != nil {
		return "", nil, 0, err
	}
	return nonce, salt, iter, x.extensions(rest, more)
}

// iterations parses and bounds the iteration count.
func (x *clientExchange) iterations(s string) (int, error) {
	lo, hi := x.m.cfg.MinIterations, x.m.cfg.MaxIterations
	if lo <= 0 {
		lo = DefaultIterations
	}
	if hi <= 0 {
		hi = DefaultMaxIterations
	}
	// Digits only: ParseInt would take a sign.
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || s[0] < '0' || s[0] > '9' {
		return 0, errors.New("scram: bad iteration count")
	}
	if int(n) < lo || int(n) > hi {
		return 0, fmt.Errorf("scram: iteration count %d outside [%d, %d]",
			n, lo, hi)
	}
	return int(n), nil
}

// extensions checks the attributes after the iteration count: a reserved
// m= fails, the XEP-0474 h= is verified, and others are ignored.
func (x *clientExchange) extensions(rest string, more bool) error {
	var h string
	seen := false
	for more {
		var a attr
		var ok bool
		if a, rest, more, ok = split(rest); !ok {
			return errors.New("scram: bad attribute in server-first")
		}
		switch {
		case a.key == 'm':
			return errors.New("scram: server requires an unknown extension")
		case a.key == 'h' && seen:
			return errors.New("scram: two downgrade-protection hashes")
		case a.key == 'h':
			h, seen = a.value, true
		}
	}

	if seen {
		want := ssdp(x.m.v.hash, x.advertised, x.bindings)
		if subtle.ConstantTimeCompare([]byte(h), []byte(want)) != 1 {
			return fmt.Errorf("%w: XEP-0474 hash does not match the offer",
				ErrDowngrade)
		}
		x.ssdp = true
		return nil
	}
	if x.needSSDP || x.m.cfg.RequireSSDP {
		return fmt.Errorf("%w: no XEP-0474 hash to prove the offer genuine",
			ErrDowngrade)
	}
	return nil
}

// Verify implements sasl2.ClientExchange: it checks server-final.
func (x *clientExchange) Verify(additional []byte) error {
	if x.state != sentFinal {
		x.state = failed
		return errors.New("scram: server-final out of order")
	}
	x.state = failed
	if additional == nil {
		return errors.New("scram: server sent no signature")
	}
	a, _, _, ok := split(string(additional))
	switch {
	case ok && a.key == 'e':
		return fmt.Errorf("scram: server reports %q",
			a.value[:min(64, len(a.value))])
	case !ok || a.key != 'v':
		return errors.New("scram: malformed server-final")
	}
	sig, ok := decode64(a.value)
	if !ok || subtle.ConstantTimeCompare(sig, x.serverSig) != 1 {
		return errors.New("scram: server signature does not match")
	}
	x.state = verified
	if f := x.m.cfg.Verified; f != nil {
		f(x.ssdp)
	}
	return nil
}
