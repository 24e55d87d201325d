package plain_test

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
	"github.com/xmppauth/xmppauth/sasl2/plain"
	"github.com/xmppauth/xmppauth/sasl2/scram"
)

var tls13 = &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true}

// verifier checks against SCRAM credentials: user/pencil for SHA-256.
func verifier(t testing.TB) plain.Verifier {
	t.Helper()
	store := &scram.MemoryStore{}
	c, err := scram.NewCredentials(crypto.SHA256, "pencil", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	store.Set("user", crypto.SHA256, c)
	return scram.PlainVerifier(&scram.ServerConfig{Store: store}, crypto.SHA256)
}

func newServer(v plain.Verifier) *sasl2.Server {
	s := sasl2.NewServer(&sasl2.Config{
		Mechanisms: []sasl2.Mechanism{plain.Mechanism(v)},
	}, &sasl2.Conn{Domain: "example.org", TLS: tls13})
	s.Features()
	return s
}

func condition(el any) sasl2.Condition {
	if f, ok := el.(*sasl2.Failure); ok {
		return f.Condition
	}
	return ""
}

func TestServer(t *testing.T) {
	cases := []struct {
		name    string
		message string
		want    sasl2.Condition
	}{
		{"the right password succeeds", "\x00user\x00pencil", ""},
		{"the user's own JID as authzid succeeds",
			"user@example.org\x00user\x00pencil", ""},
		{"another authzid is refused", "admin@example.org\x00user\x00pencil",
			sasl2.InvalidAuthzid},
		{"a wrong password is refused", "\x00user\x00crayon",
			sasl2.NotAuthorized},
		{"an unknown user is refused alike", "\x00nobody\x00pencil",
			sasl2.NotAuthorized},
		{"a password SASLprep prohibits is refused", "\x00user\x00pen\acil",
			sasl2.NotAuthorized},
		{"an empty message is malformed", "", sasl2.MalformedRequest},
		{"a message without NUL is malformed", "userpencil",
			sasl2.MalformedRequest},
		{"a message with one NUL is malformed", "user\x00pencil",
			sasl2.MalformedRequest},
		{"a message with three NULs is malformed", "\x00user\x00pen\x00cil",
			sasl2.MalformedRequest},
		{"an empty user is malformed", "\x00\x00pencil",
			sasl2.MalformedRequest},
		{"an empty password is malformed", "\x00user\x00",
			sasl2.MalformedRequest},
		{"invalid UTF-8 is malformed", "\x00us\xffer\x00pencil",
			sasl2.MalformedRequest},
	}
	v := verifier(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(v)
			out, err := s.Receive(context.Background(), &sasl2.Authenticate{
				Mechanism: "PLAIN", InitialResponse: []byte(c.message),
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := condition(out); got != c.want {
				t.Fatalf("got %#v, want %q", out, c.want)
			}
			if c.want == "" && s.Result().JID != "user@example.org" {
				t.Fatalf("JID %q", s.Result().JID)
			}
		})
	}
}

func TestServerSteps(t *testing.T) {
	ctx := context.Background()
	t.Run("PLAIN is offered only over TLS", func(t *testing.T) {
		m := plain.Mechanism(nil)
		if m.Available(&sasl2.Conn{}) || !m.Available(&sasl2.Conn{TLS: tls13}) {
			t.Fatal("wrong availability")
		}
	})
	t.Run("no initial response gets an empty challenge", func(t *testing.T) {
		s := newServer(verifier(t))
		out, _ := s.Receive(ctx, &sasl2.Authenticate{Mechanism: "PLAIN"})
		if c, ok := out.(*sasl2.Challenge); !ok || len(c.Data) != 0 {
			t.Fatalf("got %#v", out)
		}
		out, _ = s.Receive(ctx, &sasl2.Response{Data: []byte("\x00user\x00pencil")})
		if _, ok := out.(*sasl2.Success); !ok {
			t.Fatalf("got %#v", out)
		}
	})
	t.Run("a verifier error fails closed", func(t *testing.T) {
		s := newServer(func(context.Context, string, string) error {
			return errors.New("database is down")
		})
		out, _ := s.Receive(ctx, &sasl2.Authenticate{
			Mechanism: "PLAIN", InitialResponse: []byte("\x00user\x00pencil"),
		})
		if got := condition(out); got != sasl2.TemporaryAuthFailure {
			t.Fatalf("got %#v", out)
		}
	})
	t.Run("a nil verifier fails closed", func(t *testing.T) {
		out, _ := newServer(nil).Receive(ctx, &sasl2.Authenticate{
			Mechanism: "PLAIN", InitialResponse: []byte("\x00user\x00pencil"),
		})
		if got := condition(out); got != sasl2.TemporaryAuthFailure {
			t.Fatalf("got %#v", out)
		}
	})
	t.Run("a verifier's own condition goes on the wire", func(t *testing.T) {
		s := newServer(func(context.Context, string, string) error {
			return sasl2.Fail(sasl2.AccountDisabled, "")
		})
		out, _ := s.Receive(ctx, &sasl2.Authenticate{
			Mechanism: "PLAIN", InitialResponse: []byte("\x00user\x00pencil"),
		})
		if got := condition(out); got != sasl2.AccountDisabled {
			t.Fatalf("got %#v", out)
		}
	})
}

func TestClient(t *testing.T) {
	ctx := context.Background()
	t.Run("the initial response is authzid, user and password", func(t *testing.T) {
		m := plain.ClientMechanism("user", "pencil",
			&plain.ClientConfig{Authzid: "user@example.org"})
		x, err := m.Start(ctx, &sasl2.Conn{TLS: tls13})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := x.Initial()
		if string(got) != "user@example.org\x00user\x00pencil" {
			t.Fatalf("got %q", got)
		}
		if _, err := x.Next(nil); err == nil {
			t.Error("a challenge was answered")
		}
		if x.Verify(nil) != nil || x.Verify([]byte{}) != nil ||
			x.Verify([]byte("v=x")) == nil {
			t.Error("wrong handling of additional data")
		}
	})
	t.Run("PLAIN is refused without TLS", func(t *testing.T) {
		_, err := plain.ClientMechanism("u", "p", nil).Start(ctx, &sasl2.Conn{})
		if err == nil || errors.Is(err, sasl2.ErrSkip) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a NUL in the password is refused", func(t *testing.T) {
		_, err := plain.ClientMechanism("u", "p\x00", nil).
			Start(ctx, &sasl2.Conn{TLS: tls13})
		if err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("the client logs in through the core", func(t *testing.T) {
		s := newServer(verifier(t))
		c := sasl2.NewClient(&sasl2.ClientConfig{
			Mechanisms: []sasl2.ClientMechanism{
				plain.ClientMechanism("user", "pencil", nil),
			},
		}, &sasl2.Conn{TLS: tls13})
		feat, cb := s.Features()
		a, err := c.Start(ctx, feat, cb)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := s.Receive(ctx, a)
		if _, err := c.Receive(ctx, out); err != nil || !c.Done() {
			t.Fatalf("got %v", err)
		}
	})
}

// TestPinned is BC-25 6: the server offers only PLAIN to a client that
// used SCRAM for this account before. The client refuses with an error it
// can show, instead of falling back.
func TestPinned(t *testing.T) {
	for _, pinned := range []bool{true, false} {
		name := "a client without a pin falls back to PLAIN"
		if pinned {
			name = "BC-25 6: a client pinned to SCRAM refuses PLAIN"
		}
		t.Run(name, func(t *testing.T) {
			mechs := append(scram.ClientMechanisms("user", "pencil", nil),
				plain.ClientMechanism("user", "pencil",
					&plain.ClientConfig{SCRAMPinned: pinned}))
			c := sasl2.NewClient(&sasl2.ClientConfig{Mechanisms: mechs},
				&sasl2.Conn{TLS: tls13})
			a, err := c.Start(context.Background(),
				&sasl2.Authentication{Mechanisms: []string{"PLAIN"}}, nil)
			if pinned != errors.Is(err, plain.ErrPinned) {
				t.Fatalf("got %v", err)
			}
			if !pinned && a.Mechanism != "PLAIN" {
				t.Fatalf("used %s", a.Mechanism)
			}
		})
	}
}
