package scram

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
)

// TestServerFieldCases runs the server inputs of BC-15 (item 4) and BC-16
// through the sasl2 core: stream from user@example.org on TLS 1.3, the
// features offering SCRAM-SHA-256 and SCRAM-SHA-256-PLUS with tls-exporter
// and tls-server-end-point unless a case says otherwise.
func TestServerFieldCases(t *testing.T) {
	const (
		plain = "SCRAM-SHA-256"
		plus  = "SCRAM-SHA-256-PLUS"
	)
	rest := "n=user,r=" + rfcClientNonce
	// sent is what the GS2 header of client-first says, for c=.
	sent := func(first string) []byte {
		m, err := parseClientFirst(first)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(m.header)
	}
	cases := []struct {
		name  string
		only  bool // offer SCRAM-SHA-256 alone
		mech  string
		first string
		// cbind is the content of c=, nil for the header as sent plus the
		// binding data; nonce replaces the combined nonce when set.
		cbind []byte
		nonce string
		want  sasl2.Condition
	}{
		{name: "BC-16 1: y where the server offers binding is refused",
			mech:  plain,
			first: unb64(t, "eSwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8="),
			want:  sasl2.NotAuthorized},
		{name: "BC-16 2: y where no -PLUS is offered completes with c=eSws",
			only: true, mech: plain, first: "y,," + rest},
		{name: "BC-16 3: a client-final claiming y after n is refused",
			mech: plain, first: "n,," + rest, cbind: []byte("y,,"),
			want: sasl2.NotAuthorized},
		{name: "BC-16 4: p= on the mechanism without binding is refused",
			mech: plain, first: "p=tls-exporter,," + rest,
			want: sasl2.NotAuthorized},
		{name: "BC-16 4: n on the -PLUS mechanism is refused",
			mech: plus, first: "n,," + rest, want: sasl2.NotAuthorized},
		{name: "BC-16 4: y on the -PLUS mechanism is refused",
			mech: plus, first: "y,," + rest, want: sasl2.NotAuthorized},
		{name: "BC-16 5: a cb-name with @ is malformed",
			mech: plain,
			first: unb64(t,
				"cD10bHNAZXhwb3J0ZXIsLG49dXNlcixyPXJPcHJOR2Z3RWJlUldnYk5Fa3FP"),
			want: sasl2.MalformedRequest},
		{name: "BC-16 5: a cb-name with @ is malformed on -PLUS too",
			mech: plus, first: "p=tls@exporter,," + rest,
			want: sasl2.MalformedRequest},
		{name: "BC-16 5: tls-unique on TLS 1.3 is refused",
			mech: plus, first: "p=tls-unique,," + rest,
			want: sasl2.NotAuthorized},
		{name: "BC-16 5: tls-unique on TLS 1.3 is refused without -PLUS",
			mech: plain, first: "p=tls-unique,," + rest,
			want: sasl2.NotAuthorized},
		{name: "BC-16 5: an unknown binding type is refused",
			mech: plus, first: "p=tls-made-up,," + rest,
			want: sasl2.NotAuthorized},
		{name: "BC-16 6: an empty authzid is malformed",
			mech: plain,
			first: unb64(t,
				"bixhPSxuPXVzZXIscj1yT3ByTkdmd0ViZVJXZ2JORWtxTw=="),
			want: sasl2.MalformedRequest},
		{name: "BC-16 6: an authzid that is not the user's JID is refused",
			mech: plain, first: "n,a=other@example.org," + rest,
			want: sasl2.InvalidAuthzid},
		{name: "BC-16 6: the user's own JID as authzid is accepted",
			mech: plain, first: "n,a=user@example.org," + rest},
		{name: "BC-16 7: the reserved m= attribute is refused",
			mech: plain,
			first: unb64(t,
				"biwsbT14LG49dXNlcixyPXJPcHJOR2Z3RWJlUldnYk5Fa3FP"),
			want: sasl2.NotAuthorized},
		{name: "BC-16 8: binding data after n is refused",
			mech: plain, first: "n,," + rest,
			cbind: append([]byte("n,,"), make([]byte, 32)...),
			want:  sasl2.NotAuthorized},
		{name: "BC-16 9: a final nonce of the client's part alone is refused",
			mech: plain, first: "n,," + rest, nonce: rfcClientNonce,
			want: sasl2.NotAuthorized},
		{name: "BC-16: n on the mechanism without binding completes",
			mech: plain, first: "n,," + rest},
		{name: "BC-16: p=tls-exporter on -PLUS completes",
			mech: plus, first: "p=tls-exporter,," + rest},
		{name: "BC-15 4: p=tls-server-end-point on -PLUS completes",
			mech: plus, first: "p=tls-server-end-point,," + rest},
		{name: "BC-15 4: c= without the binding data is refused",
			mech: plus, first: "p=tls-server-end-point,," + rest,
			cbind: []byte("p=tls-server-end-point,,"),
			want:  sasl2.NotAuthorized},
		{name: "BC-15 4: c= with another connection's data is refused",
			mech: plus, first: "p=tls-server-end-point,," + rest,
			cbind: append([]byte("p=tls-server-end-point,,"),
				bytes.Repeat([]byte{0xdd}, 32)...),
			want: sasl2.NotAuthorized},
		{name: "BC-15 4: c= for the other binding type is refused",
			mech: plus, first: "p=tls-server-end-point,," + rest,
			cbind: append([]byte("p=tls-exporter,,"), fakeExporter...),
			want:  sasl2.NotAuthorized},
		{name: "BC-15 4: c= with a rewritten header is refused",
			mech: plus, first: "p=tls-server-end-point,," + rest,
			cbind: append([]byte("p=tls-server-end-point,a=user@example.org,"),
				fakeEndPoint...),
			want: sasl2.NotAuthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			offer := []string{plain, plus}
			if c.only {
				offer = offer[:1]
			}
			srv, conn := newCoreServer(t, rfcStore(t), tls13Bindings(), offer...)
			ctx := context.Background()
			out, err := srv.Receive(ctx, &sasl2.Authenticate{
				Mechanism: c.mech, InitialResponse: []byte(c.first),
			})
			if err != nil {
				t.Fatal(err)
			}
			ch, ok := out.(*sasl2.Challenge)
			if !ok {
				if got := failureOf(out); got != c.want || got == "" {
					t.Fatalf("client-first: got %s, want %q", got, c.want)
				}
				return
			}

			cbind := c.cbind
			if cbind == nil {
				cbind = sent(c.first)
				if m, _ := parseClientFirst(c.first); m.flag == 'p' {
					d, _ := conn.Binding(m.cbType)
					cbind = append(cbind, d...)
				}
			}
			final := finish(t, crypto.SHA256, c.first, string(ch.Data),
				cbind, c.nonce)
			out, err = srv.Receive(ctx, &sasl2.Response{Data: []byte(final)})
			if err != nil {
				t.Fatal(err)
			}
			if got := failureOf(out); got != c.want {
				t.Fatalf("client-final: got %T %s, want %q", out, got, c.want)
			}
			if c.want == "" && !srv.Done() {
				t.Fatal("not done after success")
			}
		})
	}
}

// TestServerPublishedFinals replays the client-final messages of BC-16 3,
// 8 and 9 exactly as published. Their proofs are right for the messages as
// sent against a server-first without h=, which a server that skips the c=
// and r= checks would accept.
func TestServerPublishedFinals(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString(rfcSalt)
	first := "n,,n=user,r=" + rfcClientNonce
	wantFirst := "r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt +
		",i=4096"
	finals := []struct{ name, b64 string }{
		{"BC-16 3: c= claims y after an n header", "Yz1lU3dzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1Gb3FpSFR0UUVERThsejFDZGFFZTN0SzRtUytpTURUbDc3U1B5RFM1M0RZPQ=="},
		{"BC-16 8: c= carries 32 zero bytes after n", "Yz1iaXdzQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQT0scj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxwPVEyeFVKSmtQN2x4ak1WYWxZQ21Wc2hDNXRjS3Q1eStaOVY0R2xHenpHUVU9"},
		{"BC-16 9: r= repeats only the client nonce", "Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8scD1POXV6U3ViYiszaTQ4RnVwR3Fwd0hDUndDenFTUDdLYSsvK2FFUUxGMHZRPQ=="},
	}
	for _, f := range finals {
		t.Run(f.name+" is refused", func(t *testing.T) {
			final := unb64(t, f.b64)
			wp, p, _ := strings.Cut(final, ",p=")
			if got := proof(t, crypto.SHA256, rfcPassword, salt, 4096,
				first[3:], wantFirst, wp); got != p {
				t.Fatalf("the published proof is not self-consistent")
			}

			cfg := &ServerConfig{Store: rfcStore(t), fixedNonce: rfcServerNonce}
			m, _ := Mechanism("SCRAM-SHA-256", cfg)
			x, _ := m.Start(context.Background(), &sasl2.Conn{}, nil)
			st, err := x.Next(context.Background(), []byte(first))
			if err != nil || string(st.Challenge) != wantFirst {
				t.Fatalf("server-first %q, %v", st.Challenge, err)
			}
			_, err = x.Next(context.Background(), []byte(final))
			wantCondition(t, err, sasl2.NotAuthorized)
		})
	}
}

// TestServerUsernames runs BC-24: saslname escaping, SASLprep of
// passwords and unknown users.
func TestServerUsernames(t *testing.T) {
	ctx := context.Background()
	salt, _ := base64.StdEncoding.DecodeString(rfcSalt)
	store := rfcStore(t)
	for user, password := range map[string]string{
		"a,b=c": rfcPassword, "spaced": "pass word", "hyphened": "password",
	} {
		c, err := Derive(crypto.SHA256, password, salt, 4096)
		if err != nil {
			t.Fatal(err)
		}
		store.Set(user, crypto.SHA256, c)
	}

	// run logs in with our client as user with password through the core.
	run := func(t *testing.T, user, password string) (any, error) {
		srv, _ := newCoreServer(t, store, nil, "SCRAM-SHA-256")
		ccfg := &ClientConfig{fixedNonce: rfcClientNonce}
		m, _ := ClientMechanism("SCRAM-SHA-256", user, password, ccfg)
		cli := sasl2.NewClient(&sasl2.ClientConfig{
			Mechanisms: []sasl2.ClientMechanism{m},
		}, &sasl2.Conn{TLS: tls13})
		return login(t, srv, cli)
	}

	t.Run("BC-24 1: an escaped name is looked up unescaped", func(t *testing.T) {
		x, err := newClient(variants[4], "a,b=c", rfcPassword,
			&ClientConfig{fixedNonce: rfcClientNonce}).
			Start(ctx, &sasl2.Conn{})
		if err != nil {
			t.Fatal(err)
		}
		want := unb64(t, "biwsbj1hPTJDYj0zRGMscj1yT3ByTkdmd0ViZVJXZ2JORWtxTw==")
		if got, _ := x.Initial(); string(got) != want {
			t.Fatalf("client-first %q, want %q", got, want)
		}
		out, err := run(t, "a,b=c", rfcPassword)
		if _, ok := out.(*sasl2.Success); !ok || err != nil {
			t.Fatalf("got %#v, %v", out, err)
		}
	})
	t.Run("BC-24 2: = not followed by 2C or 3D is malformed", func(t *testing.T) {
		srv, _ := newCoreServer(t, store, nil, "SCRAM-SHA-256")
		out, _ := srv.Receive(ctx, &sasl2.Authenticate{
			Mechanism: "SCRAM-SHA-256",
			InitialResponse: []byte(unb64(t,
				"biwsbj1hPTJEYixyPXJPcHJOR2Z3RWJlUldnYk5Fa3FP")),
		})
		if got := failureOf(out); got != sasl2.MalformedRequest {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("BC-24 3: a name with a leading space is an unknown user",
		func(t *testing.T) {
			srv, _ := newCoreServer(t, store, nil, "SCRAM-SHA-256")
			first := unb64(t, "biwsbj0gdXNlcixyPXJPcHJOR2Z3RWJlUldnYk5Fa3FP")
			out, _ := srv.Receive(ctx, &sasl2.Authenticate{
				Mechanism: "SCRAM-SHA-256", InitialResponse: []byte(first),
			})
			ch, ok := out.(*sasl2.Challenge)
			if !ok {
				t.Fatalf("got %#v, want a normal server-first", out)
			}
			final := finish(t, crypto.SHA256, first, string(ch.Data),
				[]byte("n,,"), "")
			out, _ = srv.Receive(ctx, &sasl2.Response{Data: []byte(final)})
			if got := failureOf(out); got != sasl2.NotAuthorized {
				t.Fatalf("got %s", got)
			}
		})
	for _, c := range []struct{ name, user, password string }{
		{"BC-24 4: a no-break space is mapped to a space", "spaced",
			"pass\u00a0word"},
		{"BC-24 4: a soft hyphen is mapped to nothing", "hyphened",
			"pass\u00adword"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := run(t, c.user, c.password)
			if _, ok := out.(*sasl2.Success); !ok || err != nil {
				t.Fatalf("SCRAM: got %#v, %v", out, err)
			}
			verify := PlainVerifier(&ServerConfig{Store: store},
				crypto.SHA256)
			if err := verify(ctx, c.user, c.password); err != nil {
				t.Fatalf("PLAIN: %v", err)
			}
		})
	}
	t.Run("BC-24 5: a password SASLprep prohibits derives nothing",
		func(t *testing.T) {
			if _, err := Derive(crypto.SHA256, "bell\u0007", salt, 4096); err == nil ||
				strings.Contains(err.Error(), "\u0007") {
				t.Fatalf("Derive: %v", err)
			}
			// The account has no SCRAM credentials: a clean failure,
			// for SCRAM and for PLAIN, and the stream goes on.
			srv, _ := newCoreServer(t, store, nil, "SCRAM-SHA-256")
			ccfg := &ClientConfig{fixedNonce: rfcClientNonce}
			bad, _ := ClientMechanism("SCRAM-SHA-256", "legacy", "bell", ccfg)
			cli := sasl2.NewClient(&sasl2.ClientConfig{
				Mechanisms: []sasl2.ClientMechanism{bad},
			}, &sasl2.Conn{TLS: tls13})
			out, _ := login(t, srv, cli)
			if got := failureOf(out); got != sasl2.NotAuthorized {
				t.Fatalf("SCRAM: got %#v", out)
			}
			verify := PlainVerifier(&ServerConfig{Store: store},
				crypto.SHA256)
			err := verify(ctx, "legacy", "bell\u0007")
			wantCondition(t, err, sasl2.NotAuthorized)

			good, _ := ClientMechanism("SCRAM-SHA-256", rfcUser, rfcPassword,
				ccfg)
			cli = sasl2.NewClient(&sasl2.ClientConfig{
				Mechanisms: []sasl2.ClientMechanism{good},
			}, &sasl2.Conn{TLS: tls13})
			if out, err := login(t, srv, cli); err != nil || !srv.Done() {
				t.Fatalf("second attempt on the stream: %#v, %v", out, err)
			}
		})
	t.Run("BC-24 6: an unknown user sees the same salt twice and fails late",
		func(t *testing.T) {
			first := "n,,n=nobody,r=" + rfcClientNonce
			var seen []string
			for range 2 {
				srv, _ := newCoreServer(t, store, nil, "SCRAM-SHA-256")
				out, _ := srv.Receive(ctx, &sasl2.Authenticate{
					Mechanism: "SCRAM-SHA-256", InitialResponse: []byte(first),
				})
				ch, ok := out.(*sasl2.Challenge)
				if !ok {
					t.Fatalf("got %#v, want server-first", out)
				}
				sf := string(ch.Data)
				if !strings.Contains(sf, ",i=4096") {
					t.Errorf("server-first %q lacks the default count", sf)
				}
				seen = append(seen, saltOf(sf))
				final := finish(t, crypto.SHA256, first, sf, []byte("n,,"), "")
				out, _ = srv.Receive(ctx, &sasl2.Response{Data: []byte(final)})
				if got := failureOf(out); got != sasl2.NotAuthorized {
					t.Fatalf("got %s", got)
				}
			}
			if seen[0] != seen[1] {
				t.Errorf("salts differ: %q, %q", seen[0], seen[1])
			}
			if b, _ := base64.StdEncoding.DecodeString(seen[0]); len(b) != saltLen {
				t.Errorf("fake salt of %d bytes, want %d", len(b), saltLen)
			}
		})
}

func saltOf(serverFirst string) string {
	for _, f := range strings.Split(serverFirst, ",") {
		if s, ok := strings.CutPrefix(f, "s="); ok {
			return s
		}
	}
	return ""
}

// TestServerFakeSalt checks that fake salts depend on the secret, the
// name and the hash, and on nothing else.
func TestServerFakeSalt(t *testing.T) {
	a := newServer(variants[4], &ServerConfig{Secret: []byte("one")})
	b := newServer(variants[1], &ServerConfig{Secret: []byte("one")})
	c := newServer(variants[4], &ServerConfig{Secret: []byte("two")})
	d := newServer(variants[3], &ServerConfig{Secret: []byte("one")})
	switch {
	case !bytes.Equal(a.fake("x").Salt, b.fake("x").Salt):
		t.Error("SCRAM-SHA-256 and its -PLUS show different salts")
	case bytes.Equal(a.fake("x").Salt, a.fake("y").Salt):
		t.Error("two names share a salt")
	case bytes.Equal(a.fake("x").Salt, c.fake("x").Salt):
		t.Error("the salt does not depend on the secret")
	case bytes.Equal(a.fake("x").Salt, d.fake("x").Salt):
		t.Error("the salt does not depend on the hash")
	}
	if n := newServer(variants[4], &ServerConfig{Iterations: 10000}).
		fake("x").Iterations; n != 10000 {
		t.Errorf("fake iteration count %d, want the configured 10000", n)
	}
}

// TestServerGrammar covers the rest of the RFC 5802 grammar.
func TestServerGrammar(t *testing.T) {
	rest := ",r=" + rfcClientNonce
	cases := []struct {
		name, first string
		want        sasl2.Condition
	}{
		{"an empty message is malformed", "", sasl2.MalformedRequest},
		{"a message without commas is malformed", "n", sasl2.MalformedRequest},
		{"a lone flag is malformed", "n,", sasl2.MalformedRequest},
		{"an unknown flag is malformed", "x,,n=user" + rest,
			sasl2.MalformedRequest},
		{"p= without a name is malformed", "p=,,n=user" + rest,
			sasl2.MalformedRequest},
		{"an authzid without a= is malformed", "n,user,n=user" + rest,
			sasl2.MalformedRequest},
		{"an authzid with a bad escape is malformed", "n,a=x=2,n=user" + rest,
			sasl2.MalformedRequest},
		{"a missing username is malformed", "n,,r=abc", sasl2.MalformedRequest},
		{"an empty username is malformed", "n,,n=" + rest,
			sasl2.MalformedRequest},
		{"a lower-case escape is malformed", "n,,n=a=2cb" + rest,
			sasl2.MalformedRequest},
		{"a trailing = is malformed", "n,,n=ab=" + rest,
			sasl2.MalformedRequest},
		{"a missing nonce is malformed", "n,,n=user", sasl2.MalformedRequest},
		{"an empty nonce is malformed", "n,,n=user,r=", sasl2.MalformedRequest},
		{"a nonce with a space is malformed", "n,,n=user,r=a b",
			sasl2.MalformedRequest},
		{"a nonce with a non-ASCII letter is malformed", "n,,n=user,r=ab\u00e9",
			sasl2.MalformedRequest},
		{"invalid UTF-8 is malformed", "n,,n=us\xffer" + rest,
			sasl2.MalformedRequest},
		{"a NUL is malformed", "n,,n=us\x00er" + rest, sasl2.MalformedRequest},
		{"a trailing comma is malformed", "n,,n=user" + rest + ",",
			sasl2.MalformedRequest},
		{"an attribute without = is malformed", "n,,n=user" + rest + ",xyz",
			sasl2.MalformedRequest},
		{"an m= extension anywhere is refused", "n,,n=user" + rest + ",m=1",
			sasl2.NotAuthorized},
		{"an unknown extension is accepted", "n,,n=user" + rest + ",x=1", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := (&server{v: variants[4], cfg: &ServerConfig{Store: rfcStore(t)},
				secret: []byte("s")}).exchange()
			_, err := x.Next(context.Background(), []byte(c.first))
			wantCondition(t, err, c.want)
		})
	}

	finals := []struct {
		name, final string
		want        sasl2.Condition
	}{
		{"a final without a proof is malformed", "c=biws,r=n",
			sasl2.MalformedRequest},
		{"a proof that is not base64 is malformed", "c=biws,r=n,p=***",
			sasl2.MalformedRequest},
		{"a final without c= is malformed", "r=n,p=AAAA",
			sasl2.MalformedRequest},
		{"a c= that is not base64 is malformed", "c=b,r=n,p=AAAA",
			sasl2.MalformedRequest},
		{"a final without r= is malformed", "c=biws,p=AAAA",
			sasl2.MalformedRequest},
		{"an m= in the final is refused", "c=biws,r=n,m=x,p=AAAA",
			sasl2.NotAuthorized},
		{"a short proof is refused", "c=biws,r=n,p=AAAA", sasl2.NotAuthorized},
	}
	for _, c := range finals {
		t.Run(c.name, func(t *testing.T) {
			x := (&server{v: variants[4], cfg: &ServerConfig{Store: rfcStore(t)},
				secret: []byte("s")}).exchange()
			ctx := context.Background()
			if _, err := x.Next(ctx, []byte("n,,n=user,r=n")); err != nil {
				t.Fatal(err)
			}
			_, err := x.Next(ctx, []byte(c.final))
			wantCondition(t, err, c.want)
		})
	}
}

func (s *server) exchange() *serverExchange {
	return &serverExchange{s: s, conn: &sasl2.Conn{}}
}

// TestServerSteps covers the exchange's states.
func TestServerSteps(t *testing.T) {
	ctx := context.Background()
	newX := func() sasl2.Exchange {
		m, _ := Mechanism("SCRAM-SHA-256", &ServerConfig{Store: rfcStore(t)})
		x, _ := m.Start(ctx, &sasl2.Conn{}, nil)
		return x
	}
	t.Run("no initial response gets an empty challenge once", func(t *testing.T) {
		x := newX()
		st, err := x.Next(ctx, nil)
		if err != nil || st.Done || st.Challenge == nil || len(st.Challenge) != 0 {
			t.Fatalf("got %+v, %v", st, err)
		}
		_, err = x.Next(ctx, nil)
		wantCondition(t, err, sasl2.MalformedRequest)
	})
	t.Run("an empty initial response is malformed", func(t *testing.T) {
		_, err := newX().Next(ctx, []byte{})
		wantCondition(t, err, sasl2.MalformedRequest)
	})
	t.Run("nothing is accepted after a failure", func(t *testing.T) {
		x := newX()
		x.Next(ctx, []byte("bad"))
		_, err := x.Next(ctx, []byte("n,,n=user,r=abc"))
		wantCondition(t, err, sasl2.MalformedRequest)
	})
	t.Run("a store error fails closed", func(t *testing.T) {
		m, _ := Mechanism("SCRAM-SHA-256", &ServerConfig{Store: brokenStore{}})
		x, _ := m.Start(ctx, &sasl2.Conn{}, nil)
		_, err := x.Next(ctx, []byte("n,,n=user,r=abc"))
		var f *sasl2.Failure
		if err == nil || errors.As(err, &f) {
			t.Fatalf("got %v, want a plain error", err)
		}
	})
	t.Run("unusable stored credentials fail closed", func(t *testing.T) {
		s := &MemoryStore{}
		s.Set("user", crypto.SHA256, Credentials{Salt: []byte("s"),
			Iterations: 1, StoredKey: []byte("short"), ServerKey: nil})
		m, _ := Mechanism("SCRAM-SHA-256", &ServerConfig{Store: s})
		x, _ := m.Start(ctx, &sasl2.Conn{}, nil)
		_, err := x.Next(ctx, []byte("n,,n=user,r=abc"))
		var f *sasl2.Failure
		if err == nil || errors.As(err, &f) {
			t.Fatalf("got %v, want a plain error", err)
		}
	})
	t.Run("a nil store fails closed", func(t *testing.T) {
		m, _ := Mechanism("SCRAM-SHA-256", nil)
		x, _ := m.Start(ctx, &sasl2.Conn{}, nil)
		_, err := x.Next(ctx, []byte("n,,n=user,r=abc"))
		var f *sasl2.Failure
		if err == nil || errors.As(err, &f) {
			t.Fatalf("got %v, want a plain error", err)
		}
	})
	t.Run("a -PLUS mechanism needs a binding", func(t *testing.T) {
		m, _ := Mechanism("SCRAM-SHA-1-PLUS", nil)
		if m.Available(&sasl2.Conn{}) {
			t.Error("available without bindings")
		}
		if !m.Available(&sasl2.Conn{Bindings: tls13Bindings()}) {
			t.Error("unavailable with bindings")
		}
	})
	t.Run("unknown names are refused", func(t *testing.T) {
		if _, err := Mechanism("SCRAM-MD5", nil); err == nil {
			t.Error("no error")
		}
	})
}

type brokenStore struct{}

func (brokenStore) Credentials(context.Context, string, crypto.Hash) (Credentials, error) {
	return Credentials{}, errors.New("database is down")
}

func TestMechanismOrder(t *testing.T) {
	want := []string{
		"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS",
		"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1",
	}
	for i, m := range Mechanisms(nil) {
		if m.Name() != want[i] {
			t.Errorf("server %d is %s, want %s", i, m.Name(), want[i])
		}
	}
	for i, m := range ClientMechanisms("u", "p", nil) {
		if m.Name() != want[i] {
			t.Errorf("client %d is %s, want %s", i, m.Name(), want[i])
		}
	}
}
