package fast

import "errors"

// Causes of a refused token login. The server wraps each in the
// *sasl2.Failure it returns, so that sasl2.Event.Err tells the host's logs
// why a login failed, while the client gets the condition alone. Test for
// them with errors.Is.
var (
	// ErrUnknownClient: the request carried no valid user-agent id, or
	// the Store holds no tokens for the account and client
	// (not-authorized).
	ErrUnknownClient = errors.New("fast: unknown client")
	// ErrWrongMechanism: every token of the client is bound to another
	// mechanism than the one used (not-authorized, XEP-0484 §4).
	ErrWrongMechanism = errors.New("fast: token bound to another mechanism")
	// ErrUnreadable: a sealed token secret did not open, because it was
	// changed in the Store or the Sealer's key changed
	// (credentials-expired). It wraps the Sealer's error.
	ErrUnreadable = errors.New("fast: sealed token does not open")
	// ErrNoMatch: no token bound to the mechanism matches the client's
	// proof; it was replaced, invalidated or revoked
	// (credentials-expired).
	ErrNoMatch = errors.New("fast: no token matches")
	// ErrExpired: the token expired (credentials-expired).
	ErrExpired = errors.New("fast: token expired")
	// ErrReplay: the count was not above the highest processed for the
	// token, or another login with the token won the race
	// (not-authorized, XEP-0484 §5.2).
	ErrReplay = errors.New("fast: count already processed")
)
