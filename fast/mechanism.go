package fast

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"

	"github.com/xmppauth/xmppauth/sasl2"
)

// mechanism is the server side of one HT mechanism, bound to the Server
// whose tokens it checks.
type mechanism struct {
	s  *Server
	ht *ht
}

// Name implements sasl2.Mechanism.
func (m *mechanism) Name() string { return m.ht.name }

// Available implements sasl2.Mechanism.
func (m *mechanism) Available(c *sasl2.Conn) bool { return m.ht.usable(c) }

// Start implements sasl2.Mechanism. It reads the client id and the <fast>
// of the request; the extension has already refused a request without
// one.
func (m *mechanism) Start(_ context.Context, c *sasl2.Conn,
	a *sasl2.Authenticate) (sasl2.Exchange, error) {

	x := &exchange{m: m, cb: m.ht.cbData(c)}
	x.clientID, _ = a.UserAgent.ClientID()
	for _, e := range a.Extensions {
		if is(e, "fast") {
			auth, err := ParseAuth(e)
			if err != nil {
				break
			}
			x.count = auth.Count
			return x, nil
		}
	}
	return nil, fail(sasl2.MalformedRequest)
}

// exchange is one HT authentication on the server.
type exchange struct {
	m        *mechanism
	cb       []byte
	clientID string
	count    int64
	asked    bool
	over     bool
}

// fail returns a fresh failure with no text: the host may add to it.
func fail(c sasl2.Condition) error { return sasl2.Fail(c, "") }

// refuse returns a fresh failure with condition c, wrapped with its
// cause: the host reads the cause in sasl2.Event.Err, and the client gets
// the condition alone.
func refuse(c sasl2.Condition, cause error) error {
	return fmt.Errorf("%w: %w", fail(c), cause)
}

// Next implements sasl2.Exchange. HT is client-first and done in one
// message; a client that sent no initial response gets an empty challenge
// (RFC 4422 §5) and then the same checks:
//
//  1. the message parses, or malformed-request;
//  2. the request has a valid client id and the store knows the client,
//     or not-authorized;
//  3. a token bound to this mechanism, the New one first, opens and
//     matches the client's HMAC in constant time; if none does,
//     credentials-expired where the client's tokens were replaced,
//     invalidated or revoked, and not-authorized where it holds tokens
//     for other mechanisms only (XEP-0484 §4);
//  4. the token has not expired, or credentials-expired;
//  5. a count, if sent, is above the highest processed, or
//     not-authorized (a replay, XEP-0484 §5.2). A request without a
//     count is not refused for it: XEP-0484 asks for one only in 0-RTT,
//     which this server never accepts, and leaving it out gains a
//     replayer nothing, since a replayed request carries its count and an
//     edited one can raise it;
//  6. the store records the use atomically, or not-authorized when
//     another login with the token won the race.
//
// Each refusal wraps its cause (ErrUnknownClient, ErrWrongMechanism,
// ErrUnreadable, ErrNoMatch, ErrExpired, ErrReplay), which reaches the
// host's logs through sasl2.Event.Err and never the wire.
func (x *exchange) Next(ctx context.Context, data []byte) (sasl2.Step, error) {
	if data == nil && !x.asked {
		x.asked = true
		return sasl2.Step{Challenge: []byte{}}, nil
	}
	if x.over {
		return sasl2.Step{}, fail(sasl2.MalformedRequest)
	}
	x.over = true
	s := x.m.s

	user, proof, err := draft.parseInitiator(x.m.ht, data)
	if err != nil {
		return sasl2.Step{}, refuse(sasl2.MalformedRequest, err)
	}
	if x.clientID == "" {
		return sasl2.Step{}, refuse(sasl2.NotAuthorized,
			fmt.Errorf("%w: no valid user-agent id", ErrUnknownClient))
	}
	cur, next, err := s.store.Tokens(ctx, user, x.clientID)
	if errors.Is(err, ErrNotFound) {
		return sasl2.Step{}, refuse(sasl2.NotAuthorized,
			fmt.Errorf("%w: %w", ErrUnknownClient, err))
	}
	if err != nil {
		return sasl2.Step{}, fmt.Errorf("fast: reading tokens: %w", err)
	}

	t, slot, responder, err := x.match(user, proof, cur, next)
	switch {
	case err != nil:
		return sasl2.Step{}, err
	case !s.now().Before(t.Expiry):
		return sasl2.Step{}, refuse(sasl2.CredentialsExpired, ErrExpired)
	case x.count > 0 && x.count <= t.Count:
		return sasl2.Step{}, refuse(sasl2.NotAuthorized, ErrReplay)
	}

	err = s.store.Use(ctx, user, x.clientID, slot, t.ID, x.count)
	if errors.Is(err, ErrConflict) {
		return sasl2.Step{}, refuse(sasl2.NotAuthorized,
			fmt.Errorf("%w: %w", ErrReplay, err))
	}
	if err != nil {
		return sasl2.Step{}, fmt.Errorf("fast: recording a use: %w", err)
	}

	c := &credential{token: *t}
	c.token.Sealed = nil
	if x.count > 0 {
		c.token.Count = x.count
	}
	if slot == Current {
		c.pending = next
	}
	return sasl2.Step{
		Done: true, User: user, AdditionalData: responder, Credential: c,
		Noninteractive: true,
	}, nil
}

// match finds the token whose proof the client sent, trying New before
// Current (XEP-0484 §4), and returns it with its slot and the responder
// message; or, when none matches, the refusal of step 3.
func (x *exchange) match(user string, proof []byte, cur, next *Token) (
	*Token, Slot, []byte, error) {

	h, bound := x.m.ht, 0
	var unreadable error
	for _, c := range [...]struct {
		t    *Token
		slot Slot
	}{{next, New}, {cur, Current}} {
		if c.t == nil || c.t.Mechanism != h.name {
			continue
		}
		bound++
		secret, err := x.m.s.sealer.Open(c.t.Sealed,
			associated(user, x.clientID, c.t))
		if err != nil {
			unreadable = err
			continue
		}
		if hmac.Equal(draft.proof(h, secret, x.cb), proof) {
			return c.t, c.slot, draft.responder(h, secret, x.cb), nil
		}
	}

	switch {
	case unreadable != nil:
		err := fmt.Errorf("%w: %w", ErrUnreadable, unreadable)
		return nil, 0, nil, refuse(sasl2.CredentialsExpired, err)
	case bound == 0 && (cur != nil || next != nil):
		return nil, 0, nil, refuse(sasl2.NotAuthorized, ErrWrongMechanism)
	}
	return nil, 0, nil, refuse(sasl2.CredentialsExpired, ErrNoMatch)
}
