package sasl2

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"testing"
)

// testClientMech is the client side of testMech.
type testClientMech struct {
	name, user, pass string
	// verified records the additional data Verify received.
	verified []byte
	// waitForChallenge sends no initial response.
	waitForChallenge bool
}

func (m *testClientMech) Name() string {
	if m.name == "" {
		return "TEST"
	}
	return m.name
}

func (m *testClientMech) Start(context.Context, *Conn) (ClientExchange, error) {
	return m, nil
}

func (m *testClientMech) msg() []byte { return []byte("\x00" + m.user + "\x00" + m.pass) }

func (m *testClientMech) Initial() ([]byte, error) {
	if m.waitForChallenge {
		return nil, nil
	}
	return m.msg(), nil
}

func (m *testClientMech) Next([]byte) ([]byte, error) { return m.msg(), nil }

func (m *testClientMech) Verify(b []byte) error {
	m.verified = b
	if !bytes.Equal(b, []byte("ok")) {
		return errors.New("test: server not verified")
	}
	return nil
}

type testClientTask struct{ name string }

func (k testClientTask) Name() string { return k.name }
func (k testClientTask) Start(context.Context) ([]Element, error) {
	return decodeElements("<ask xmlns='urn:example:task'/>"), nil
}
func (k testClientTask) Next(context.Context, []Element) ([]Element, error) {
	return decodeElements("<code xmlns='urn:example:task'>1234</code>"), nil
}

func decodeElements(s string) []Element {
	var e Element
	if err := unmarshalString(s, &e); err != nil {
		panic(err)
	}
	return []Element{e}
}

// converse runs a client against a server in memory until one side ends,
// and returns the client's last error.
func converse(t *testing.T, c *Client, s *Server) error {
	t.Helper()
	ctx := context.Background()
	features, cb := s.Features()
	a, err := c.Start(ctx, features, cb)
	if err != nil {
		return err
	}
	var toServer any = a
	for range 20 {
		out, err := s.Receive(ctx, roundTrip(t, toServer))
		if err != nil {
			t.Fatalf("server: %v", err)
		}
		toServer, err = c.Receive(ctx, roundTrip(t, out))
		if err != nil || toServer == nil {
			return err
		}
	}
	t.Fatal("no end after 20 rounds")
	return nil
}

// roundTrip encodes and decodes v, as a stream would.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	return decodeString(t, canonical(t, v))
}

func newPair(t *testing.T, mech *testClientMech, policy Policy, tasks ...ClientTask) (*Client, *Server) {
	tc := &tls.ConnectionState{}
	srv := NewServer(&Config{Mechanisms: []Mechanism{testMech{}}, Policy: policy},
		&Conn{Domain: "example.org", TLS: tc})
	cli := NewClient(&ClientConfig{
		Mechanisms: []ClientMechanism{&testClientMech{name: "UNOFFERED"}, mech},
		Tasks:      tasks,
	}, &Conn{Domain: "example.org", TLS: tc})
	return cli, srv
}

func TestClientAgainstServer(t *testing.T) {
	t.Run("a login with an initial response succeeds and verifies the server", func(t *testing.T) {
		m := &testClientMech{user: "user", pass: "pencil"}
		c, s := newPair(t, m, nil)
		if err := converse(t, c, s); err != nil {
			t.Fatal(err)
		}
		if !c.Done() || c.JID() != "user@example.org" || c.Mechanism() != "TEST" || string(m.verified) != "ok" {
			t.Errorf("done=%v jid=%q mech=%q verified=%q", c.Done(), c.JID(), c.Mechanism(), m.verified)
		}
	})
	t.Run("a login that waits for a challenge succeeds", func(t *testing.T) {
		c, s := newPair(t, &testClientMech{user: "user", pass: "pencil", waitForChallenge: true}, nil)
		if err := converse(t, c, s); err != nil || !c.Done() {
			t.Fatal(err)
		}
	})
	t.Run("a wrong password is the server's failure, and the client may start again", func(t *testing.T) {
		m := &testClientMech{user: "user", pass: "wrong"}
		c, s := newPair(t, m, nil)
		err := converse(t, c, s)
		if !errors.Is(err, Fail(NotAuthorized, "")) || c.Done() {
			t.Fatalf("got %v", err)
		}
		m.pass = "pencil"
		if err := converse(t, c, s); err != nil || !c.Done() {
			t.Fatalf("retry: %v", err)
		}
	})
	t.Run("the server is verified at continue, before the task runs", func(t *testing.T) {
		m := &testClientMech{user: "user", pass: "pencil"}
		c, s := newPair(t, m, oneTask, testClientTask{"TOTP-EXAMPLE"})
		if err := converse(t, c, s); err != nil || !c.Done() {
			t.Fatal(err)
		}
		if string(m.verified) != "ok" {
			t.Errorf("verified %q", m.verified)
		}
	})
	t.Run("a client without the offered task aborts", func(t *testing.T) {
		c, s := newPair(t, &testClientMech{user: "user", pass: "pencil"}, oneTask, testClientTask{"OTHER"})
		ctx := context.Background()
		f, cb := s.Features()
		a, _ := c.Start(ctx, f, cb)
		out, _ := s.Receive(ctx, a)
		reply, err := c.Receive(ctx, out)
		if _, ok := reply.(*Abort); !ok || err == nil {
			t.Fatalf("got %#v, %v; want abort", reply, err)
		}
		if out, _ := s.Receive(ctx, reply); out.(*Failure).Condition != Aborted {
			t.Errorf("server answered abort with %#v", out)
		}
	})
	t.Run("no offered mechanism is ErrNoMechanism", func(t *testing.T) {
		c, _ := newPair(t, &testClientMech{name: "NOPE"}, nil)
		_, err := c.Start(context.Background(), &Authentication{Mechanisms: []string{"TEST"}}, nil)
		if !errors.Is(err, ErrNoMechanism) {
			t.Errorf("got %v", err)
		}
	})
}

// BC-01 and BC-03, client side.
func TestClientRefuses(t *testing.T) {
	start := func(t *testing.T) (*Client, *testClientMech) {
		m := &testClientMech{user: "user", pass: "pencil"}
		c, s := newPair(t, m, nil)
		f, cb := s.Features()
		if _, err := c.Start(context.Background(), f, cb); err != nil {
			t.Fatal(err)
		}
		return c, m
	}
	t.Run("a stanza before success makes the client abort", func(t *testing.T) {
		c, _ := start(t)
		out, err := c.Receive(context.Background(), decodeString(t, "<message xmlns='jabber:client'><body>hi</body></message>"))
		if _, ok := out.(*Abort); !ok || err == nil {
			t.Fatalf("got %#v, %v", out, err)
		}
	})
	t.Run("a success whose data does not verify is an error", func(t *testing.T) {
		c, _ := start(t)
		_, err := c.Receive(context.Background(), decodeString(t, "<success xmlns='urn:xmpp:sasl:2'><additional-data>bm8=</additional-data><authorization-identifier>user@example.org</authorization-identifier></success>"))
		if err == nil || c.Done() {
			t.Fatal("unverified success accepted")
		}
	})
	t.Run("empty additional data is zero-length data, not absence", func(t *testing.T) {
		c, m := start(t)
		c.Receive(context.Background(), decodeString(t, "<success xmlns='urn:xmpp:sasl:2'><additional-data/><authorization-identifier>user@example.org</authorization-identifier></success>"))
		if m.verified == nil || len(m.verified) != 0 {
			t.Errorf("verify received %#v", m.verified)
		}
	})
	t.Run("a challenge that is not base64 makes the client abort", func(t *testing.T) {
		c, _ := start(t)
		out, err := c.Receive(context.Background(), decodeString(t, "<challenge xmlns='urn:xmpp:sasl:2'>=</challenge>"))
		if _, ok := out.(*Abort); !ok || err == nil {
			t.Fatalf("got %#v, %v", out, err)
		}
	})
	t.Run("a client refuses to start without TLS", func(t *testing.T) {
		c := NewClient(&ClientConfig{Mechanisms: []ClientMechanism{&testClientMech{}}}, &Conn{})
		if _, err := c.Start(context.Background(), &Authentication{Mechanisms: []string{"TEST"}}, nil); err == nil {
			t.Error("started without TLS")
		}
	})
}
