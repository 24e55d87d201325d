package sasl2

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"slices"
	"testing"
)

// inlineExt offers mechanisms inside its own feature, as FAST does: it
// offers INLINE-PLUS, which runs testMech, unless off is set.
type inlineExt struct {
	off *bool
}

const inlineNS = "urn:example:inline"

func (inlineExt) Namespace() string { return inlineNS }

func (x inlineExt) InlineMechanisms(c *Conn) []Mechanism {
	if *x.off {
		return nil
	}
	return []Mechanism{testMech{name: "INLINE-PLUS"}}
}

func (x inlineExt) Advertise(c *Conn) (Element, bool) {
	e := Element{Name: xml.Name{Space: inlineNS, Local: "offer"}}
	for _, m := range c.Inline {
		e.Children = append(e.Children, Element{
			Name: xml.Name{Space: inlineNS, Local: "mechanism"}, Text: m})
	}
	return e, true
}

func (inlineExt) Request(context.Context, *Conn, *Authenticate, []Element) (Request, error) {
	return nil, nil
}

// inlineClient is the client side of inlineExt: it finds mech in the
// feature, and its Request records whether Conn.Inline named it.
type inlineClient struct {
	mech *testClientMech
	seen *bool
}

func (x inlineClient) InlineMechanisms(c *Conn, inline []Element) []ClientMechanism {
	for _, e := range inline {
		if e.Name.Space != inlineNS {
			continue
		}
		for _, m := range e.Children {
			if m.Text == x.mech.Name() {
				return []ClientMechanism{x.mech}
			}
		}
	}
	return nil
}

func (x inlineClient) Request(c *Conn, _ []Element) (Element, bool) {
	*x.seen = slices.Contains(c.Inline, x.mech.Name())
	return Element{}, false
}

func (inlineClient) Success(*Success) error { return nil }

func TestInlineMechanisms(t *testing.T) {
	newServer := func(off *bool) (*Server, *Conn) {
		conn := &Conn{Domain: "example.org", TLS: &tls.ConnectionState{},
			Bindings: []ChannelBinding{{Type: TLSExporter, Data: []byte{1}}}}
		cfg := &Config{
			Mechanisms: []Mechanism{testMech{}},
			Extensions: []Extension{inlineExt{off: off}},
		}
		return NewServer(cfg, conn), conn
	}
	auth := func(mech string) *Authenticate {
		return &Authenticate{Mechanism: mech,
			InitialResponse: []byte("\x00user\x00pencil")}
	}

	t.Run("an inline mechanism stays out of <authentication> and XEP-0440", func(t *testing.T) {
		s, conn := newServer(new(bool))
		a, cb := s.Features()
		if !slices.Equal(a.Mechanisms, []string{"TEST"}) || cb != nil {
			t.Errorf("mechanisms %q, channel binding %v", a.Mechanisms, cb)
		}
		if !slices.Equal(conn.Advertised, []string{"TEST"}) ||
			!slices.Equal(conn.Inline, []string{"INLINE-PLUS"}) {
			t.Errorf("advertised %q, inline %q", conn.Advertised, conn.Inline)
		}
		if got := a.Inline[0].Children[0].Text; got != "INLINE-PLUS" {
			t.Errorf("the extension advertised %q", got)
		}
	})
	t.Run("an inline mechanism authenticates", func(t *testing.T) {
		s, _ := newServer(new(bool))
		s.Features()
		out, _ := s.Receive(context.Background(), auth("INLINE-PLUS"))
		if _, ok := out.(*Success); !ok || s.Result().Mechanism != "INLINE-PLUS" {
			t.Fatalf("got %#v", out)
		}
	})
	t.Run("an inline mechanism the extension no longer offers is invalid", func(t *testing.T) {
		off := new(bool)
		s, _ := newServer(off)
		s.Features()
		*off = true
		out, _ := s.Receive(context.Background(), auth("INLINE-PLUS"))
		if f, ok := out.(*Failure); !ok || f.Condition != InvalidMechanism {
			t.Fatalf("got %#v", out)
		}
	})
	t.Run("an inline name is no mechanism without the features that offer it", func(t *testing.T) {
		s, conn := newServer(new(bool))
		conn.Advertised = []string{"TEST"}
		out, _ := s.Receive(context.Background(), auth("INLINE-PLUS"))
		if f, ok := out.(*Failure); !ok || f.Condition != InvalidMechanism {
			t.Fatalf("got %#v", out)
		}
	})
	t.Run("a client tries the inline mechanism before its configured ones", func(t *testing.T) {
		s, _ := newServer(new(bool))
		seen := new(bool)
		inline := &testClientMech{name: "INLINE-PLUS", user: "user", pass: "pencil"}
		c := NewClient(&ClientConfig{
			Mechanisms: []ClientMechanism{&testClientMech{user: "user", pass: "pencil"}},
			Extensions: []ClientExtension{inlineClient{mech: inline, seen: seen}},
		}, &Conn{Domain: "example.org", TLS: &tls.ConnectionState{}})
		if err := converse(t, c, s); err != nil {
			t.Fatal(err)
		}
		if c.Mechanism() != "INLINE-PLUS" || !*seen {
			t.Errorf("client used %q; Conn.Inline named it: %v", c.Mechanism(), *seen)
		}
	})
	t.Run("a client without a usable inline mechanism uses its configured ones", func(t *testing.T) {
		s, _ := newServer(new(bool))
		seen := new(bool)
		inline := &testClientMech{name: "OTHER-INLINE"}
		c := NewClient(&ClientConfig{
			Mechanisms: []ClientMechanism{&testClientMech{user: "user", pass: "pencil"}},
			Extensions: []ClientExtension{inlineClient{mech: inline, seen: seen}},
		}, &Conn{Domain: "example.org", TLS: &tls.ConnectionState{}})
		if err := converse(t, c, s); err != nil {
			t.Fatal(err)
		}
		if c.Mechanism() != "TEST" || *seen {
			t.Errorf("client used %q", c.Mechanism())
		}
	})
}
