package sasl2

import "context"

// Mechanism is the server side of a SASL mechanism. Implementations must be
// safe for concurrent use: one Mechanism serves every connection, and Start
// gives each exchange its own state.
type Mechanism interface {
	// Name returns the mechanism name, such as "SCRAM-SHA-256-PLUS".
	Name() string
	// Available reports whether the mechanism may be offered on c: PLAIN
	// only over TLS, a -PLUS mechanism only where c has a binding it uses.
	Available(c *Conn) bool
	// Start begins one exchange. a is the client's request, which the
	// mechanism may read (FAST reads its <fast> child) but must not change.
	Start(ctx context.Context, c *Conn, a *Authenticate) (Exchange, error)
}

// Exchange is one run of a server mechanism.
type Exchange interface {
	// Next consumes the client's data and reports the next step. The first
	// call receives the initial response, nil when none was sent; later
	// calls receive the data of each <response>. An error fails the
	// authentication: a *Failure with its condition, anything else as
	// temporary-auth-failure.
	Next(ctx context.Context, data []byte) (Step, error)
}

// Step is what a server mechanism produced from one client message.
type Step struct {
	// Done is false while the mechanism needs another response; Challenge
	// is then sent to the client.
	Done      bool
	Challenge []byte
	// User is the authenticated localpart, set when Done.
	User string
	// Authzid is the authorization identity the client asked for, or "".
	// The server accepts only the user's own bare JID.
	Authzid string
	// AdditionalData is the mechanism's final data for the client (the
	// SCRAM server signature), or nil.
	AdditionalData []byte
	// Credential describes what the user authenticated with, for policy
	// and extensions: FAST puts the token record here. Nil for passwords.
	// It must not hold a secret.
	Credential any
	// Noninteractive forbids tasks after this mechanism (XEP-0484 §4:
	// a token login takes no interactive steps). When the Policy asks for
	// tasks anyway, the credential no longer satisfies it, and the
	// authentication fails with credentials-expired, which sends the
	// client back to a mechanism that can run them.
	Noninteractive bool
}

// ClientMechanism is the client side of a SASL mechanism. It may be used by
// one client at a time, or be safe for concurrent use: Start must give each
// exchange its own state.
type ClientMechanism interface {
	// Name returns the mechanism name.
	Name() string
	// Start begins an exchange on c, whose Advertised and
	// AdvertisedBindings describe the server's offer. It returns ErrSkip
	// when the mechanism cannot run on this connection, and any other error
	// to refuse the whole authentication (a downgrade detected, say).
	Start(ctx context.Context, c *Conn) (ClientExchange, error)
}

// ClientExchange is one run of a client mechanism.
type ClientExchange interface {
	// Initial returns the initial response, or nil for none.
	Initial() ([]byte, error)
	// Next answers a challenge.
	Next(challenge []byte) ([]byte, error)
	// Verify checks the server's final data from <additional-data> (nil
	// when none was sent). An exchange that expects data must fail on nil:
	// a client that cannot verify the server has not authenticated it.
	Verify(additional []byte) error
}

// errSkip is ErrSkip's type, so that it can be compared with errors.Is.
type errSkip struct{}

func (errSkip) Error() string { return "sasl2: mechanism not usable here" }

// ErrSkip is returned by ClientMechanism.Start when the mechanism cannot run
// on the connection; the client tries the next one.
var ErrSkip error = errSkip{}
