package plain

import (
	"context"
	"errors"
	"strings"

	"github.com/xmppauth/xmppauth/sasl2"
)

// ErrPinned is returned by Start for an account pinned to SCRAM: once an
// account authenticated with SCRAM (or EXTERNAL), a client must never fall
// back to PLAIN, since an attacker who strips SCRAM from the offer would
// learn the password (XEP-0474 §4). Hosts should show it to the user rather
// than retry.
var ErrPinned = errors.New(
	"plain: refusing PLAIN for an account that used SCRAM before")

// ClientConfig configures the client mechanism. A nil *ClientConfig means
// the zero value.
type ClientConfig struct {
	// Authzid is the authorization identity to request, or "" to act as
	// the authenticated user.
	Authzid string
	// SCRAMPinned records that this account has authenticated with SCRAM
	// or EXTERNAL before: Start then refuses with ErrPinned.
	SCRAMPinned bool
}

// ClientMechanism returns the client mechanism for one account. username
// is the localpart; password is secret and sent as given, for the server
// to prepare. The mechanism is safe for concurrent use.
func ClientMechanism(username, password string, cfg *ClientConfig) sasl2.ClientMechanism {
	if cfg == nil {
		cfg = &ClientConfig{}
	}
	return &client{username, password, cfg}
}

type client struct {
	username, password string
	cfg                *ClientConfig
}

// Name implements sasl2.ClientMechanism.
func (*client) Name() string { return Name }

// Start implements sasl2.ClientMechanism.
func (m *client) Start(_ context.Context, c *sasl2.Conn) (sasl2.ClientExchange, error) {
	switch {
	case m.cfg.SCRAMPinned:
		return nil, ErrPinned
	case c.TLS == nil:
		return nil, errors.New("plain: refusing PLAIN without TLS")
	case m.username == "" || m.password == "" ||
		strings.ContainsRune(m.username+m.password+m.cfg.Authzid, 0):
		return nil, errors.New("plain: empty or NUL in user or password")
	}
	msg := m.cfg.Authzid + "\x00" + m.username + "\x00" + m.password
	return &clientExchange{msg: []byte(msg)}, nil
}

type clientExchange struct {
	msg []byte
}

// Initial implements sasl2.ClientExchange.
func (x *clientExchange) Initial() ([]byte, error) { return x.msg, nil }

// Next implements sasl2.ClientExchange. PLAIN has no challenges.
func (x *clientExchange) Next([]byte) ([]byte, error) {
	return nil, errors.New("plain: unexpected challenge")
}

// Verify implements sasl2.ClientExchange. PLAIN has no final data; an
// empty <additional-data> is tolerated.
func (x *clientExchange) Verify(additional []byte) error {
	if len(additional) > 0 {
		return errors.New("plain: unexpected additional data")
	}
	return nil
}
