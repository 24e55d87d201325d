package scram

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
)

// TestClientFieldCases runs BC-17 through the sasl2 core: the client sends
// n,,n=user,r=rOprNGfwEbeRWgbNEkqO and checks each server-first and
// server-final variant.
func TestClientFieldCases(t *testing.T) {
	const (
		good  = "cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY="
		final = "Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ=="
		sig   = "dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ=="
	)
	sf := "r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt
	flipped := func() string {
		v, _ := base64.StdEncoding.DecodeString(unb64(t, sig)[2:])
		v[7] ^= 0x10
		return "v=" + base64.StdEncoding.EncodeToString(v)
	}()
	cases := []struct {
		name        string
		serverFirst string
		serverFinal string
		abort       bool // before sending the proof
		advertised  []string
		bindings    []string
		wantFinal   string
		fail        bool
	}{
		{name: "BC-17 1: a correct server-first is answered with the proof",
			serverFirst: unb64(t, good), serverFinal: unb64(t, sig),
			wantFinal: unb64(t, final)},
		{name: "BC-17 2: a nonce equal to the client's is refused", abort: true,
			serverFirst: unb64(t, "cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=")},
		{name: "BC-17 3: a nonce not starting with the client's is refused",
			abort: true, serverFirst: unb64(t, "cj1BQUFBck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscz1XMjJaYUowU05ZN3NvRXNVRWpiNmdRPT0saT00MDk2")},
		{name: "BC-17 3: an empty nonce is refused", abort: true,
			serverFirst: "r=,s=" + rfcSalt + ",i=4096"},
		{name: "BC-17 3: a nonce with an unprintable tail is refused",
			abort: true, serverFirst: "r=" + rfcClientNonce + "\x7f,s=" + rfcSalt + ",i=4096"},
		{name: "BC-17 4: i=1 is below the floor", abort: true,
			serverFirst: unb64(t, "cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTE=")},
		{name: "BC-17 4: i=0 is refused", abort: true, serverFirst: sf + ",i=0"},
		{name: "BC-17 4: i=-1 is refused", abort: true, serverFirst: sf + ",i=-1"},
		{name: "BC-17 4: i=4096x is refused", abort: true, serverFirst: sf + ",i=4096x"},
		{name: "BC-17 4: i=+4096 is refused", abort: true, serverFirst: sf + ",i=+4096"},
		{name: "BC-17 4: an i= that overflows is refused", abort: true,
			serverFirst: sf + ",i=4294971392"},
		{name: "BC-17 4: an i= above the cap is refused", abort: true,
			serverFirst: sf + ",i=2000000000"},
		{name: "BC-17 5: a leading m= is refused", abort: true,
			serverFirst: unb64(t, "bT1leHQscj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=")},
		{name: "BC-17 5: a trailing m= is refused", abort: true,
			serverFirst: unb64(t, good) + ",m=ext"},
		{name: "BC-17 6: a matching h= is verified and the exchange goes on",
			serverFirst: unb64(t, "cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTYsaD1PcHdJbGo2cERtVVIrMHE0WnFhcWI1eFd1NlNEbWR1eVVvNGJVUUVVV0NRPQ=="),
			advertised:  []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"},
			bindings:    []string{"tls-exporter", "tls-server-end-point"}},
		{name: "BC-17 6: the same h= against another offer is refused",
			abort: true, serverFirst: unb64(t, "cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTYsaD1PcHdJbGo2cERtVVIrMHE0WnFhcWI1eFd1NlNEbWR1eVVvNGJVUUVVV0NRPQ=="),
			advertised: []string{"PLAIN", "SCRAM-SHA-256"}},
		{name: "BC-17 6: an unknown extension is ignored",
			serverFirst: unb64(t, good) + ",d=ssdp,x=y",
		},
		{name: "BC-17 7: an empty salt is refused", abort: true,
			serverFirst: "r=" + rfcClientNonce + rfcServerNonce + ",s=,i=4096"},
		{name: "BC-17 7: a salt that is not base64 is refused", abort: true,
			serverFirst: "r=" + rfcClientNonce + rfcServerNonce + ",s=W22*,i=4096"},
		{name: "BC-17 7: a missing salt is refused", abort: true,
			serverFirst: "r=" + rfcClientNonce + rfcServerNonce + ",i=4096"},
		{name: "BC-17 8: the correct v= authenticates",
			serverFirst: unb64(t, good), serverFinal: unb64(t, sig)},
		{name: "BC-17 9: e=invalid-proof fails",
			serverFirst: unb64(t, good),
			serverFinal: unb64(t, "ZT1pbnZhbGlkLXByb29m"), fail: true},
		{name: "BC-17 10: a v= with one bit flipped fails",
			serverFirst: unb64(t, good), serverFinal: flipped, fail: true},
		{name: "BC-17: an absent v= fails",
			serverFirst: unb64(t, good), serverFinal: "\x00", fail: true},
		{name: "BC-17: a v= that is not base64 fails",
			serverFirst: unb64(t, good), serverFinal: "v=***", fail: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			m, _ := ClientMechanism("SCRAM-SHA-256", rfcUser, rfcPassword,
				&ClientConfig{fixedNonce: rfcClientNonce})
			cli := sasl2.NewClient(&sasl2.ClientConfig{
				Mechanisms: []sasl2.ClientMechanism{m},
			}, &sasl2.Conn{TLS: tls13})
			mechs := c.advertised
			if mechs == nil {
				mechs = []string{"SCRAM-SHA-256"}
			}
			var cb *sasl2.ChannelBindingFeature
			if c.bindings != nil {
				cb = &sasl2.ChannelBindingFeature{Types: c.bindings}
			}
			a, err := cli.Start(ctx, &sasl2.Authentication{Mechanisms: mechs}, cb)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(a.InitialResponse); got != "n,,n=user,r="+rfcClientNonce {
				t.Fatalf("client-first %q", got)
			}

			out, err := cli.Receive(ctx, &sasl2.Challenge{Data: []byte(c.serverFirst)})
			if c.abort {
				if _, ok := out.(*sasl2.Abort); !ok || err == nil {
					t.Fatalf("got %#v, %v; want an abort", out, err)
				}
				return
			}
			r, ok := out.(*sasl2.Response)
			if !ok || err != nil {
				t.Fatalf("got %#v, %v; want a response", out, err)
			}
			if c.wantFinal != "" && string(r.Data) != c.wantFinal {
				t.Fatalf("client-final %q, want %q", r.Data, c.wantFinal)
			}
			if c.serverFinal == "" {
				return
			}

			data := []byte(c.serverFinal)
			if c.serverFinal == "\x00" {
				data = nil
			}
			_, err = cli.Receive(ctx, &sasl2.Success{
				AdditionalData: data, AuthorizationIdentifier: "user@example.org",
			})
			if c.fail != (err != nil) || c.fail == cli.Done() {
				t.Fatalf("got %v, done %v; want failure %v", err, cli.Done(), c.fail)
			}
		})
	}
}

// TestClientOffers runs BC-25: the client supports tls-exporter and
// tls-server-end-point on TLS 1.3, and the server's offer varies.
func TestClientOffers(t *testing.T) {
	const (
		plain = "SCRAM-SHA-256"
		plus  = "SCRAM-SHA-256-PLUS"
	)
	cases := []struct {
		name     string
		mechs    []string
		types    []string // nil: no <sasl-channel-binding/>
		wantErr  error
		wantMech string
		wantHead string
	}{
		{name: "BC-25 1: -PLUS without types is refused as a downgrade",
			mechs: []string{plain, plus}, wantErr: ErrDowngrade},
		{name: "BC-25 2: types without -PLUS are refused as a downgrade",
			mechs: []string{plain}, types: []string{"tls-exporter"},
			wantErr: ErrDowngrade},
		{name: "BC-25 3: only tls-unique on TLS 1.3 falls to n, pending h=",
			mechs: []string{plain, plus}, types: []string{"tls-unique"},
			wantMech: plain, wantHead: "n,,"},
		{name: "BC-25 5: no binding offered at all gives y",
			mechs: []string{plain}, wantMech: plain, wantHead: "y,,"},
		{name: "BC-25: -PLUS with tls-exporter binds with it",
			mechs:    []string{plain, plus},
			types:    []string{"tls-server-end-point", "tls-exporter"},
			wantMech: plus, wantHead: "p=tls-exporter,,"},
		{name: "BC-25: -PLUS with tls-server-end-point alone binds with it",
			mechs: []string{plain, plus}, types: []string{"tls-server-end-point"},
			wantMech: plus, wantHead: "p=tls-server-end-point,,"},
		{name: "BC-25: an empty type list counts as none",
			mechs: []string{plain, plus}, types: []string{},
			wantErr: ErrDowngrade},
		{name: "BC-25: another -PLUS mechanism counts as an offer of binding",
			mechs:   []string{plain, "SCRAM-SHA-1-PLUS"},
			wantErr: ErrDowngrade},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cli := sasl2.NewClient(&sasl2.ClientConfig{
				Mechanisms: ClientMechanisms(rfcUser, rfcPassword, nil),
			}, &sasl2.Conn{TLS: tls13, Bindings: tls13Bindings()})
			var cb *sasl2.ChannelBindingFeature
			if c.types != nil {
				cb = &sasl2.ChannelBindingFeature{Types: c.types}
			}
			a, err := cli.Start(context.Background(),
				&sasl2.Authentication{Mechanisms: c.mechs}, cb)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("got %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Mechanism != c.wantMech ||
				!strings.HasPrefix(string(a.InitialResponse), c.wantHead+"n=user,") {
				t.Fatalf("got %s %q, want %s %q…", a.Mechanism,
					a.InitialResponse, c.wantMech, c.wantHead)
			}
		})
	}
}

// TestClientRule6 runs BC-25 3 and 4 to the end against our server, which
// offers SCRAM-SHA-256(-PLUS) with tls-unique only, unusable on TLS 1.3.
// The client implements XEP-0474, so it goes on without binding only when
// the server's h= proves the offer genuine.
func TestClientRule6(t *testing.T) {
	unique := []sasl2.ChannelBinding{{Type: sasl2.TLSUnique, Data: []byte("0123456789ab")}}
	newPair := func(t *testing.T) (*sasl2.Server, *sasl2.Client) {
		srv, _ := newCoreServer(t, rfcStore(t), unique,
			"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS")
		cli := sasl2.NewClient(&sasl2.ClientConfig{
			Mechanisms: ClientMechanisms(rfcUser, rfcPassword, nil),
		}, &sasl2.Conn{TLS: tls13, Bindings: tls13Bindings()})
		return srv, cli
	}
	ctx := context.Background()

	t.Run("BC-25 4a: a correct h= lets SCRAM-SHA-256 with n complete",
		func(t *testing.T) {
			srv, cli := newPair(t)
			out, err := login(t, srv, cli)
			if _, ok := out.(*sasl2.Success); !ok || err != nil || !cli.Done() {
				t.Fatalf("got %#v, %v", out, err)
			}
			if cli.Mechanism() != "SCRAM-SHA-256" {
				t.Errorf("used %s", cli.Mechanism())
			}
		})
	t.Run("BC-25 4b: an h= over another offer aborts before the proof",
		func(t *testing.T) {
			srv, cli := newPair(t)
			feat, cb := srv.Features()
			// An attacker between the two rewrote the binding types.
			cb = &sasl2.ChannelBindingFeature{Types: []string{"tls-unique", "x"}}
			a, err := cli.Start(ctx, feat, cb)
			if err != nil {
				t.Fatal(err)
			}
			ch, _ := srv.Receive(ctx, a)
			out, err := cli.Receive(ctx, ch)
			if _, ok := out.(*sasl2.Abort); !ok || !errors.Is(err, ErrDowngrade) {
				t.Fatalf("got %#v, %v", out, err)
			}
		})
	t.Run("BC-25 4c: no h= aborts before the proof", func(t *testing.T) {
		srv, cli := newPair(t)
		feat, cb := srv.Features()
		a, err := cli.Start(ctx, feat, cb)
		if err != nil {
			t.Fatal(err)
		}
		ch, _ := srv.Receive(ctx, a)
		data := string(ch.(*sasl2.Challenge).Data)
		data = data[:strings.Index(data, ",h=")]
		out, err := cli.Receive(ctx, &sasl2.Challenge{Data: []byte(data)})
		if _, ok := out.(*sasl2.Abort); !ok || !errors.Is(err, ErrDowngrade) {
			t.Fatalf("got %#v, %v", out, err)
		}
	})
}

// TestClientPin checks RequireSSDP and the Verified callback.
func TestClientPin(t *testing.T) {
	// run logs in directly, without the core, so that the server can be
	// one that knows nothing of the offer and sends no h=.
	run := func(t *testing.T, cfg *ClientConfig, advertise bool) (any, error) {
		conn := &sasl2.Conn{}
		if advertise {
			conn.Advertised = []string{"SCRAM-SHA-256"}
		}
		ctx := context.Background()
		m, _ := Mechanism("SCRAM-SHA-256", &ServerConfig{Store: rfcStore(t)})
		sx, _ := m.Start(ctx, conn, nil)
		cm, _ := ClientMechanism("SCRAM-SHA-256", rfcUser, rfcPassword, cfg)
		cx, err := cm.Start(ctx, conn)
		if err != nil {
			return nil, err
		}
		return converse(cx, sx)
	}
	t.Run("a verified h= is reported for pinning", func(t *testing.T) {
		var got []bool
		cfg := &ClientConfig{Verified: func(ssdp bool) { got = append(got, ssdp) }}
		if _, err := run(t, cfg, true); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !got[0] {
			t.Fatalf("Verified calls %v", got)
		}
	})
	t.Run("a server without h= is reported as such", func(t *testing.T) {
		var got []bool
		cfg := &ClientConfig{Verified: func(ssdp bool) { got = append(got, ssdp) }}
		if _, err := run(t, cfg, false); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] {
			t.Fatalf("Verified calls %v", got)
		}
	})
	t.Run("a pinned client refuses a server-first without h=", func(t *testing.T) {
		_, err := run(t, &ClientConfig{RequireSSDP: true}, false)
		if !errors.Is(err, ErrDowngrade) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a lower floor admits a lower count", func(t *testing.T) {
		m, _ := ClientMechanism("SCRAM-SHA-1", "user", "pencil",
			&ClientConfig{MinIterations: 1, fixedNonce: "abc"})
		x, _ := m.Start(context.Background(), &sasl2.Conn{})
		x.Initial()
		if _, err := x.Next([]byte("r=abcd,s=QSXCR+Q6sek8bf92,i=1")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestClientConcurrent is the last point of BC-17: logins that share one
// mechanism value never mix nonces or keys.
func TestClientConcurrent(t *testing.T) {
	store := rfcStore(t)
	shared := ClientMechanisms(rfcUser, rfcPassword, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			cfg := &ServerConfig{Store: store}
			srv := sasl2.NewServer(&sasl2.Config{Mechanisms: Mechanisms(cfg)},
				&sasl2.Conn{Domain: "example.org", TLS: tls13,
					Bindings: tls13Bindings()})
			cli := sasl2.NewClient(&sasl2.ClientConfig{Mechanisms: shared},
				&sasl2.Conn{TLS: tls13, Bindings: tls13Bindings()})
			if _, err := login(t, srv, cli); err != nil || !srv.Done() {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("login failed: %v", err)
	}
}

// TestClientSteps covers the exchange's states and bad input.
func TestClientSteps(t *testing.T) {
	start := func(t *testing.T, user, password string) sasl2.ClientExchange {
		m, _ := ClientMechanism("SCRAM-SHA-256", user, password,
			&ClientConfig{fixedNonce: rfcClientNonce})
		x, err := m.Start(context.Background(), &sasl2.Conn{})
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	t.Run("a password SASLprep prohibits is refused at start", func(t *testing.T) {
		m, _ := ClientMechanism("SCRAM-SHA-256", "user", "bell\u0007", nil)
		if _, err := m.Start(context.Background(), &sasl2.Conn{}); err == nil ||
			errors.Is(err, sasl2.ErrSkip) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("an empty user is refused at start", func(t *testing.T) {
		m, _ := ClientMechanism("SCRAM-SHA-256", "", "pencil", nil)
		if _, err := m.Start(context.Background(), &sasl2.Conn{}); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("-PLUS skips a connection without bindings", func(t *testing.T) {
		m, _ := ClientMechanism("SCRAM-SHA-256-PLUS", "user", "pencil", nil)
		_, err := m.Start(context.Background(), &sasl2.Conn{})
		if !errors.Is(err, sasl2.ErrSkip) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("verify before the proof fails", func(t *testing.T) {
		x := start(t, "user", "pencil")
		if err := x.Verify([]byte("v=AAAA")); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("a second challenge fails", func(t *testing.T) {
		x := start(t, "user", "pencil")
		sf := "r=" + rfcClientNonce + "x,s=" + rfcSalt + ",i=4096"
		if _, err := x.Next([]byte(sf)); err != nil {
			t.Fatal(err)
		}
		if _, err := x.Next([]byte(sf)); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("two h= attributes fail", func(t *testing.T) {
		x := start(t, "user", "pencil")
		sf := "r=" + rfcClientNonce + "x,s=" + rfcSalt + ",i=4096,h=a,h=a"
		if _, err := x.Next([]byte(sf)); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("attributes out of order fail", func(t *testing.T) {
		x := start(t, "user", "pencil")
		sf := "s=" + rfcSalt + ",r=" + rfcClientNonce + "x,i=4096"
		if _, err := x.Next([]byte(sf)); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("an authzid is escaped into the header", func(t *testing.T) {
		m, _ := ClientMechanism("SCRAM-SHA-1", "u,1", "p",
			&ClientConfig{Authzid: "u,1=x@example.org", fixedNonce: "n"})
		x, _ := m.Start(context.Background(), &sasl2.Conn{})
		got, _ := x.Initial()
		if want := "n,a=u=2C1=3Dx@example.org,n=u=2C1,r=n"; string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("unknown names are refused", func(t *testing.T) {
		if _, err := ClientMechanism("SCRAM-SHA-384", "u", "p", nil); err == nil {
			t.Error("no error")
		}
	})
}
