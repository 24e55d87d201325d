package plain

import (
	"bytes"
	"context"
	"errors"
	"unicode/utf8"

	"github.com/xmppauth/xmppauth/sasl2"
)

// Name is the mechanism name.
const Name = "PLAIN"

// Verifier checks a user's password: user is the authentication identity
// (the localpart) and password is secret. It returns nil to accept, a
// *sasl2.Failure to refuse (not-authorized for a wrong password and an
// unknown user alike), and any other error to fail closed with
// temporary-auth-failure. It must be safe for concurrent use.
type Verifier func(ctx context.Context, user, password string) error

// Mechanism returns the server mechanism, which checks passwords with
// verify and is available only on a TLS stream. A nil verify fails every
// attempt closed. The mechanism is safe for concurrent use.
func Mechanism(verify Verifier) sasl2.Mechanism {
	return server{verify}
}

type server struct {
	verify Verifier
}

// Name implements sasl2.Mechanism.
func (server) Name() string { return Name }

// Available implements sasl2.Mechanism.
func (server) Available(c *sasl2.Conn) bool { return c.TLS != nil }

// Start implements sasl2.Mechanism.
func (s server) Start(context.Context, *sasl2.Conn, *sasl2.Authenticate) (sasl2.Exchange, error) {
	return &exchange{verify: s.verify}, nil
}

type exchange struct {
	verify Verifier
	asked  bool
	over   bool
}

// Next implements sasl2.Exchange.
func (x *exchange) Next(ctx context.Context, data []byte) (sasl2.Step, error) {
	switch {
	case x.over:
		return sasl2.Step{}, malformed("exchange is over")
	case data == nil && !x.asked:
		// No initial response: ask for the message with an empty
		// challenge (RFC 4422 §5).
		x.asked = true
		return sasl2.Step{Challenge: []byte{}}, nil
	}
	x.over = true

	authzid, user, password, err := parse(data)
	if err != nil {
		return sasl2.Step{}, err
	}
	if x.verify == nil {
		return sasl2.Step{}, errors.New("plain: no verifier configured")
	}
	if err := x.verify(ctx, user, password); err != nil {
		return sasl2.Step{}, err
	}
	return sasl2.Step{Done: true, User: user, Authzid: authzid}, nil
}

// parse splits a PLAIN message (RFC 4616 §2):
//
//	[authzid] NUL authcid NUL passwd
//
// The identity and the password must be non-empty UTF-8; an empty authzid
// means none.
func parse(msg []byte) (authzid, user, password string, err error) {
	a, rest, ok1 := bytes.Cut(msg, []byte{0})
	u, p, ok2 := bytes.Cut(rest, []byte{0})
	switch {
	case !ok1 || !ok2 || bytes.IndexByte(p, 0) >= 0:
		return "", "", "", malformed("not a PLAIN message")
	case len(u) == 0 || len(p) == 0:
		return "", "", "", malformed("empty user or password")
	case !utf8.Valid(a) || !utf8.Valid(u) || !utf8.Valid(p):
		return "", "", "", malformed("not UTF-8")
	}
	return string(a), string(u), string(p), nil
}

func malformed(text string) error {
	return sasl2.Fail(sasl2.MalformedRequest, text)
}
