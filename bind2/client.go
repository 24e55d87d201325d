package bind2

import (
	"github.com/xmppauth/xmppauth/sasl2"
)

// Client is the client side of Bind 2, a sasl2.ClientExtension. It asks
// for binding only when the server offers Bind 2, and reports the outcome.
// It serves one negotiation at a time and is not safe for concurrent use;
// its results are those of the latest <success>.
//
// The bound full JID is the authorization identifier, sasl2.Client.JID.
// When Bound returns nil after a successful authentication and no stream
// was resumed, no resource was bound: the client binds one the RFC 6120
// way from the stream features that follow <success>.
type Client struct {
	// Tag is the short name of the client software that the server puts
	// at the start of the resource, or "" for none. Contacts see it: it
	// must not reveal anything private (XEP-0386 §5).
	Tag string
	// Features lists the feature requests to send, such as
	// SMEnable.Element() or <enable xmlns='urn:xmpp:carbons:2'/>. Each is
	// sent only when the server lists its namespace among the Bind 2
	// inline features, and only the first of a namespace is sent.
	Features []sasl2.Element

	offered *Feature
	bound   *Bound
	failed  *Failed
}

// Request returns the <bind> for <authenticate> when the server's SASL2
// <inline> holds <bind xmlns='urn:xmpp:bind:0'>.
func (c *Client) Request(_ *sasl2.Conn, inline []sasl2.Element) (sasl2.Element, bool) {
	c.offered, c.bound, c.failed = nil, nil, nil
	for _, e := range inline {
		if f, err := ParseFeature(e); err == nil {
			c.offered = f
			break
		}
	}
	if c.offered == nil {
		return sasl2.Element{}, false
	}

	b := Bind{Tag: c.Tag}
	sent := func(space string) bool {
		for _, e := range b.Payload {
			if e.Name.Space == space {
				return true
			}
		}
		return false
	}
	for _, e := range c.Features {
		if c.offered.Offers(e.Name.Space) && !sent(e.Name.Space) {
			b.Payload = append(b.Payload, e)
		}
	}
	return b.Element(), true
}

// Success reads <bound> or <failed xmlns='urn:xmpp:bind:0'> from
// <success>. It never fails the authentication: a server that did not bind
// leaves the client to bind the RFC 6120 way.
func (c *Client) Success(s *sasl2.Success) error {
	c.bound, c.failed = nil, nil
	for _, e := range s.Extensions {
		if b, err := ParseBound(e); err == nil && c.bound == nil {
			c.bound = b
		}
		if f, err := ParseFailed(e); err == nil && c.failed == nil {
			c.failed = f
		}
	}
	return nil
}

// Offered returns the Bind 2 feature the server advertised in the latest
// <authentication>, or nil when it offered none and Client asked for
// nothing.
func (c *Client) Offered() *Feature { return c.offered }

// Bound returns the server's <bound>, or nil when no resource was bound
// inline: the server did not offer Bind 2, binding failed (see Failed), or
// a stream was resumed instead (see ClientSM).
func (c *Client) Bound() *Bound { return c.bound }

// Failed returns the server's <failed xmlns='urn:xmpp:bind:0'> when
// binding failed, or nil.
func (c *Client) Failed() *Failed { return c.failed }

// SM returns the server's answer to an SM <enable/> inside <bound>: the
// stream management it enabled, or why it did not, or neither.
func (c *Client) SM() (*SMEnabled, *SMFailed) {
	if c.bound == nil {
		return nil, nil
	}
	if e := c.bound.Child(NSSM, "enabled"); e != nil {
		en, _ := ParseSMEnabled(*e)
		return en, nil
	}
	if e := c.bound.Child(NSSM, "failed"); e != nil {
		f, _ := ParseSMFailed(*e)
		return nil, f
	}
	return nil, nil
}
