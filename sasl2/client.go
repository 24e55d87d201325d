package sasl2

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ClientConfig is the client's configuration. It must not change once a
// Client uses it.
type ClientConfig struct {
	// Mechanisms lists the mechanisms the client will use, strongest
	// first. The first one the server offers and that can run on the
	// connection is used.
	Mechanisms []ClientMechanism
	// UserAgent is sent in <authenticate>; nil sends none. XEP-0388 asks
	// for a stable UUIDv4 id per installation.
	UserAgent *UserAgent
	// Extensions add inline requests and read their results.
	Extensions []ClientExtension
	// Tasks lists the tasks the client can perform.
	Tasks []ClientTask
}

// ErrNoMechanism reports that no configured mechanism can run against the
// server's offer.
var ErrNoMechanism = errors.New("sasl2: no usable mechanism offered")

// Client negotiates authentication with one server. Create one per stream
// with NewClient. It is not safe for concurrent use.
type Client struct {
	cfg  *ClientConfig
	conn *Conn

	state    serverState
	mech     string
	exchange ClientExchange
	verified bool
	task     ClientTask
	jid      string
}

// NewClient returns a negotiation for one stream. conn describes the
// stream; the Client keeps it and fills Advertised and AdvertisedBindings
// from the server's features, and Inline from its extensions' inline
// mechanisms.
func NewClient(cfg *ClientConfig, conn *Conn) *Client {
	return &Client{cfg: cfg, conn: conn}
}

// Start picks a mechanism from the server's <authentication> feature and
// returns the <authenticate> to send. cb is the XEP-0440 feature, or nil
// when the server sent none. After a *Failure the client may Start again.
func (c *Client) Start(ctx context.Context, features *Authentication, cb *ChannelBindingFeature) (*Authenticate, error) {
	if c.state != idle {
		return nil, errors.New("sasl2: authentication already under way")
	}
	if c.conn.TLS == nil {
		return nil, errors.New("sasl2: refusing to authenticate without TLS")
	}
	c.conn.Advertised = features.Mechanisms
	c.conn.AdvertisedBindings = nil
	if cb != nil {
		c.conn.AdvertisedBindings = append([]string{}, cb.Types...)
	}

	a := &Authenticate{UserAgent: c.cfg.UserAgent}
	if err := c.pick(ctx, c.inline(features.Inline)); err != nil {
		return nil, err
	}
	a.Mechanism = c.mech
	initial, err := c.exchange.Initial()
	if err != nil {
		return nil, err
	}
	a.InitialResponse = initial

	for _, e := range c.cfg.Extensions {
		if el, ok := e.Request(c.conn, features.Inline); ok {
			a.Extensions = append(a.Extensions, el)
		}
	}
	c.state, c.verified = mechanism, false
	return a, nil
}

// inline asks the extensions for the mechanisms they can run among those
// the server offered inside inline features, and records their names in
// Conn.Inline.
func (c *Client) inline(features []Element) []ClientMechanism {
	c.conn.Inline = nil
	var out []ClientMechanism
	for _, e := range c.cfg.Extensions {
		im, ok := e.(ClientInlineMechanisms)
		if !ok {
			continue
		}
		for _, m := range im.InlineMechanisms(c.conn, features) {
			c.conn.Inline = append(c.conn.Inline, m.Name())
			out = append(out, m)
		}
	}
	return out
}

// pick starts the first mechanism that the server offers and that can run
// here: those offered inline first, then the configured ones.
func (c *Client) pick(ctx context.Context, inline []ClientMechanism) error {
	for _, m := range slices.Concat(inline, c.cfg.Mechanisms) {
		if !c.conn.Offered(m.Name()) {
			continue
		}
		x, err := m.Start(ctx, c.conn)
		if errors.Is(err, ErrSkip) {
			continue
		}
		if err != nil {
			return err
		}
		c.mech, c.exchange = m.Name(), x
		return nil
	}
	return ErrNoMechanism
}

// Receive takes one element the server sent, as returned by Decode, and
// returns the element to send back (*Response, *Next, *TaskData or
// *Abort), or nil when there is nothing to send. An error means the
// authentication failed: a *Failure from the server, or the client's own
// reason, in which case an *Abort to send may come with it. After a
// *Success that verified, Done reports true; the server's fresh stream
// features follow on the same stream.
func (c *Client) Receive(ctx context.Context, el any) (any, error) {
	switch v := el.(type) {
	case *Challenge:
		if c.state != mechanism {
			return c.abort(errors.New("sasl2: challenge out of order"))
		}
		if v.badEncoding {
			return c.abort(errors.New("sasl2: challenge is not valid base64"))
		}
		resp, err := c.exchange.Next(v.Data)
		if err != nil {
			return c.abort(err)
		}
		return &Response{Data: resp}, nil
	case *Continue:
		return c.cont(ctx, v)
	case *TaskData:
		if c.state != tasking || c.task == nil {
			return c.abort(errors.New("sasl2: task data out of order"))
		}
		payload, err := c.task.Next(ctx, v.Payload)
		if err != nil {
			return c.abort(err)
		}
		return &TaskData{Payload: payload}, nil
	case *Success:
		return nil, c.success(v)
	case *Failure:
		if c.state == idle || c.state == done {
			return c.abort(errors.New("sasl2: failure out of order"))
		}
		c.state = idle
		return nil, v
	}
	// A stanza or anything else before success: XEP-0388 allows only the
	// SASL2 elements while authentication is in progress.
	return c.abort(fmt.Errorf("sasl2: unexpected %T during authentication", el))
}

// Done reports whether the server's success was received and verified.
func (c *Client) Done() bool { return c.state == done }

// JID returns the authorization identifier from <success>: the full JID
// when a resource was bound inline, the bare JID otherwise.
func (c *Client) JID() string { return c.jid }

// Mechanism returns the name of the mechanism in use or used.
func (c *Client) Mechanism() string { return c.mech }

func (c *Client) abort(err error) (any, error) {
	if c.state == idle || c.state == done {
		return nil, err
	}
	c.state = idle
	return &Abort{}, err
}

// verify checks the mechanism's final data once.
func (c *Client) verify(additional []byte, bad bool) error {
	if c.verified {
		return nil
	}
	if bad {
		return errors.New("sasl2: additional data is not valid base64")
	}
	if err := c.exchange.Verify(additional); err != nil {
		return err
	}
	c.verified = true
	return nil
}

func (c *Client) cont(ctx context.Context, v *Continue) (any, error) {
	if c.state != mechanism && c.state != tasking {
		return c.abort(errors.New("sasl2: continue out of order"))
	}
	// The mechanism's final data arrives in the first <continue>; the
	// server is verified there, before any task runs (RFC 5802 §5).
	if c.state == mechanism {
		if err := c.verify(v.AdditionalData, v.badEncoding); err != nil {
			return c.abort(err)
		}
	}
	i := slices.IndexFunc(c.cfg.Tasks, func(t ClientTask) bool {
		return slices.Contains(v.Tasks, t.Name())
	})
	if i < 0 {
		return c.abort(fmt.Errorf("sasl2: no supported task among %q", v.Tasks))
	}
	c.task, c.state = c.cfg.Tasks[i], tasking
	payload, err := c.task.Start(ctx)
	if err != nil {
		return c.abort(err)
	}
	return &Next{Task: c.task.Name(), Payload: payload}, nil
}

func (c *Client) success(v *Success) error {
	if c.state != mechanism && c.state != tasking {
		_, err := c.abort(errors.New("sasl2: success out of order"))
		return err
	}
	c.state = idle
	if err := c.verify(v.AdditionalData, v.badEncoding); err != nil {
		return err
	}
	for _, e := range c.cfg.Extensions {
		if err := e.Success(v); err != nil {
			return err
		}
	}
	c.jid, c.state = v.AuthorizationIdentifier, done
	return nil
}
