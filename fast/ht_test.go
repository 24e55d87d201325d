package fast

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
)

var update = flag.Bool("update", false,
	"rewrite the computed vectors in testdata/fast")

var vectorFile = filepath.Join("..", "testdata", "fast", "ht.json")

// vector is one HT exchange from testdata/fast/ht.json.
type vector struct {
	Name      string `json:"name"`
	Source    string `json:"source"`
	Computed  bool   `json:"computed"`
	Mechanism string `json:"mechanism"`
	Authcid   string `json:"authcid"`
	Token     string `json:"token"`
	CB        []byte `json:"cb"`
	Initiator []byte `json:"initiator"`
	// Responder is empty where the source gives none.
	Responder []byte `json:"responder,omitempty"`
}

func readVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestVectors(t *testing.T) {
	vs := readVectors(t)
	for i := range vs {
		v := &vs[i]
		t.Run(v.Name, func(t *testing.T) {
			h, ok := lookup(v.Mechanism)
			if !ok {
				t.Fatalf("unknown mechanism %q", v.Mechanism)
			}
			if *update && v.Computed {
				v.Initiator = draft.initiator(h, v.Authcid,
					[]byte(v.Token), v.CB)
				v.Responder = draft.responder(h, []byte(v.Token), v.CB)
			}
			t.Run("the client sends the initiator message", func(t *testing.T) {
				got := draft.initiator(h, v.Authcid, []byte(v.Token), v.CB)
				if !bytes.Equal(got, v.Initiator) {
					t.Errorf("got  %s\nwant %s", b64(got), b64(v.Initiator))
				}
			})
			t.Run("the server accepts it and answers with the responder message", func(t *testing.T) {
				st := serveVector(t, v)
				if v.Responder != nil && !bytes.Equal(st.AdditionalData, v.Responder) {
					t.Errorf("got  %s\nwant %s", b64(st.AdditionalData), b64(v.Responder))
				}
				if st.User != v.Authcid {
					t.Errorf("user %q", st.User)
				}
			})
			if v.Responder != nil {
				t.Run("the client verifies the responder message", func(t *testing.T) {
					x := &clientExchange{ht: h, token: []byte(v.Token), cb: v.CB}
					if err := x.Verify(v.Responder); err != nil {
						t.Error(err)
					}
					bad := slices.Clone(v.Responder)
					bad[0] ^= 1
					if x.Verify(bad) == nil || x.Verify(nil) == nil {
						t.Error("a wrong or missing answer verified")
					}
				})
			}
		})
	}
	if *update {
		raw, err := json.MarshalIndent(vs, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorFile, append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// serveVector runs the server mechanism of v over a TLS 1.2 connection
// with v's channel binding, against a store holding v's token.
func serveVector(t *testing.T, v *vector) sasl2.Step {
	t.Helper()
	f := newFixture(t, Config{Mechanisms: []string{v.Mechanism}})
	f.tls12()
	h, _ := lookup(v.Mechanism)
	if h.binding != "" {
		f.bindings = []sasl2.ChannelBinding{{Type: h.binding, Data: v.CB}}
	}
	f.plant(v.Authcid, v.Token, v.Mechanism, 0)

	conn := f.conn()
	conn.Inline = []string{v.Mechanism}
	m := f.srv.InlineMechanisms(conn)
	if len(m) != 1 {
		t.Fatalf("%s not available", v.Mechanism)
	}
	a := &sasl2.Authenticate{
		Mechanism: v.Mechanism, UserAgent: &sasl2.UserAgent{ID: clientID},
		Extensions: []sasl2.Element{(&Auth{}).Element()},
	}
	ctx := context.Background()
	x, err := m[0].Start(ctx, conn, a)
	if err != nil {
		t.Fatal(err)
	}
	st, err := x.Next(ctx, v.Initiator)
	if err != nil || !st.Done {
		t.Fatalf("server: %v", err)
	}
	return st
}

// plant stores token for user and the test client in the Current slot, as
// if issued at f.now and used once with count, for the factors given or
// the test's password mechanism.
func (f *fixture) plant(user, token, mech string, count int64, factors ...string) *Token {
	f.t.Helper()
	t := f.pend(user, token, mech, factors...)
	err := f.store.Use(context.Background(), user, clientID, New, t.ID, count)
	if err != nil {
		f.t.Fatal(err)
	}
	t.Count = count
	return t
}

// pend stores token for user and the test client in the New slot, as if
// issued at f.now and not used yet.
func (f *fixture) pend(user, token, mech string, factors ...string) *Token {
	f.t.Helper()
	t := &Token{
		ID: "id-" + token, User: user, ClientID: clientID,
		Mechanism: mech, Issued: f.now, Expiry: f.now.Add(DefaultTTL),
		Factors: []string{plainMec},
	}
	if factors != nil {
		t.Factors = factors
	}
	var err error
	t.Sealed, err = f.srv.sealer.Seal([]byte(token), associated(user, clientID, t))
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.Issue(context.Background(), t); err != nil {
		f.t.Fatal(err)
	}
	return t
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestMechanismNames(t *testing.T) {
	names := Mechanisms()
	if len(names) != 20 {
		t.Fatalf("%d mechanisms", len(names))
	}
	for _, n := range names {
		if len(n) > 20 {
			t.Errorf("%s is longer than RFC 4422 allows", n)
		}
	}
	if names[0] != "HT-SHA-512-EXPR" || names[19] != "HT-SHA-256-NONE" {
		t.Errorf("order: %q", names)
	}
	t.Run("the MongooseIM spelling of SHA3 is known and kept", func(t *testing.T) {
		h, ok := lookup("HT-SHA-3-256-EXPR")
		if !ok || h.name != "HT-SHA-3-256-EXPR" || h.canonical != "HT-SHA3-256-EXPR" {
			t.Errorf("got %+v, %v", h, ok)
		}
		if _, ok := lookup("HT-SHA-3-384-NONE"); ok {
			t.Error("a hash the package lacks was found")
		}
	})
}

func TestParseInitiator(t *testing.T) {
	h, _ := lookup("HT-SHA-256-NONE")
	mac := bytes.Repeat([]byte{0}, 32) // NULs inside the HMAC are data
	tests := []struct {
		name string
		msg  []byte
		ok   bool
	}{
		{"a localpart, NUL and a full HMAC parse", append([]byte("user\x00"), mac...), true},
		{"a 255-octet localpart parses", append([]byte(string(bytes.Repeat([]byte("u"), 255))+"\x00"), mac...), true},
		{"a 256-octet localpart is malformed", append([]byte(string(bytes.Repeat([]byte("u"), 256))+"\x00"), mac...), false},
		{"an empty localpart is malformed", append([]byte("\x00"), mac...), false},
		{"a message without NUL is malformed", []byte("user"), false},
		{"a short HMAC is malformed", append([]byte("user\x00"), mac[:31]...), false},
		{"a long HMAC is malformed", append([]byte("user\x00"), append(mac, 1)...), false},
		{"a localpart that is not UTF-8 is malformed", append([]byte("\xff\x00"), mac...), false},
		{"an empty message is malformed", []byte{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := draft.parseInitiator(h, tc.msg)
			if (err == nil) != tc.ok {
				t.Errorf("err = %v", err)
			}
		})
	}
}
