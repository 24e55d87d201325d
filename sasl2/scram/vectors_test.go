package scram

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
)

var update = flag.Bool("update", false,
	"rewrite the computed vectors in testdata/scram")

var vectorDir = filepath.Join("..", "..", "testdata", "scram")

// vector is one whole exchange from testdata/scram/vectors.json.
type vector struct {
	Name               string    `json:"name"`
	Source             string    `json:"source"`
	Computed           bool      `json:"computed"`
	Mechanism          string    `json:"mechanism"`
	User               string    `json:"user"`
	Authzid            string    `json:"authzid,omitempty"`
	Password           string    `json:"password"`
	Salt               []byte    `json:"salt"`
	Iterations         int       `json:"iterations"`
	ClientNonce        string    `json:"client_nonce"`
	ServerNonce        string    `json:"server_nonce"`
	Advertised         []string  `json:"advertised,omitempty"`
	AdvertisedBindings []string  `json:"advertised_bindings,omitempty"`
	Bindings           []binding `json:"bindings,omitempty"`
	FinalExtensions    string    `json:"final_extensions,omitempty"`
	ClientFirst        string    `json:"client_first"`
	ServerFirst        string    `json:"server_first"`
	ClientFinal        string    `json:"client_final"`
	ServerFinal        string    `json:"server_final"`
}

type binding struct {
	Type string `json:"type"`
	Data []byte `json:"data"`
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func writeJSON(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	raw = append(raw, '\n')
	if err := os.WriteFile(filepath.Join(vectorDir, name), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// conn is the connection a vector describes, seen from either end.
func (v *vector) conn() *sasl2.Conn {
	c := &sasl2.Conn{
		Domain:             "example.org",
		Advertised:         v.Advertised,
		AdvertisedBindings: v.AdvertisedBindings,
	}
	for _, b := range v.Bindings {
		c.Bindings = append(c.Bindings, sasl2.ChannelBinding(b))
	}
	return c
}

// nonce returns how to inject a nonce: published nonces directly, computed
// ones (base64 of 18 bytes) through the Rand hook.
func (v *vector) nonce(t testing.TB, n string) (io.Reader, string) {
	if !v.Computed {
		return nil, n
	}
	b, err := base64.StdEncoding.DecodeString(n)
	if err != nil || len(b) != nonceBytes {
		t.Fatalf("computed nonce %q is not base64 of %d bytes", n, nonceBytes)
	}
	return repeat(b), ""
}

// repeat is a Rand that gives the same bytes from the start on every
// read, so that every nonce drawn from it is the same.
type repeat []byte

func (r repeat) Read(p []byte) (int, error) { return copy(p, r), nil }

func (v *vector) hash(t testing.TB) crypto.Hash {
	va, ok := lookup(v.Mechanism)
	if !ok {
		t.Fatalf("unknown mechanism %q", v.Mechanism)
	}
	return va.hash
}

// mechanism returns the server mechanism set up with the vector's user
// and server nonce.
func (v *vector) mechanism(t testing.TB) sasl2.Mechanism {
	t.Helper()
	creds, err := Derive(v.hash(t), v.Password, v.Salt, v.Iterations)
	if err != nil {
		t.Fatal(err)
	}
	store := &MemoryStore{}
	store.Set(v.User, v.hash(t), creds)
	cfg := &ServerConfig{Store: store, Secret: []byte("test")}
	cfg.Rand, cfg.fixedNonce = v.nonce(t, v.ServerNonce)
	m, err := Mechanism(v.Mechanism, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (v *vector) server(t testing.TB) sasl2.Exchange {
	t.Helper()
	x, err := v.mechanism(t).Start(context.Background(), v.conn(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func (v *vector) client(t testing.TB) sasl2.ClientExchange {
	t.Helper()
	cfg := &ClientConfig{
		Authzid:         v.Authzid,
		finalExtensions: v.FinalExtensions,
	}
	cfg.Rand, cfg.fixedNonce = v.nonce(t, v.ClientNonce)
	m, err := ClientMechanism(v.Mechanism, v.User, v.Password, cfg)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Start(context.Background(), v.conn())
	if err != nil {
		t.Fatalf("client start: %v", err)
	}
	return x
}

// regenerate runs our client against our server and records the messages.
func (v *vector) regenerate(t *testing.T) {
	tr, err := converse(v.client(t), v.server(t))
	if err != nil {
		t.Fatal(err)
	}
	v.ClientFirst, v.ServerFirst = string(tr.clientFirst), string(tr.serverFirst)
	v.ClientFinal, v.ServerFinal = string(tr.clientFinal), string(tr.serverFinal)
}

func TestVectors(t *testing.T) {
	var vs []vector
	readJSON(t, "vectors.json", &vs)
	for i := range vs {
		v := &vs[i]
		t.Run(v.Name, func(t *testing.T) {
			if *update && v.Computed {
				v.regenerate(t)
			}
			t.Run("the server answers with the published messages",
				func(t *testing.T) { replayServer(t, v) })
			t.Run("the client sends the published messages",
				func(t *testing.T) { replayClient(t, v) })
		})
	}
	if *update {
		writeJSON(t, "vectors.json", vs)
	}
}

func replayServer(t *testing.T, v *vector) {
	ctx := context.Background()
	x := v.server(t)
	st, err := x.Next(ctx, []byte(v.ClientFirst))
	if err != nil {
		t.Fatalf("client-first: %v", err)
	}
	if got := string(st.Challenge); got != v.ServerFirst || st.Done {
		t.Fatalf("server-first\n got %q\nwant %q", got, v.ServerFirst)
	}
	st, err = x.Next(ctx, []byte(v.ClientFinal))
	if err != nil {
		t.Fatalf("client-final: %v", err)
	}
	if got := string(st.AdditionalData); got != v.ServerFinal || !st.Done {
		t.Fatalf("server-final\n got %q\nwant %q", got, v.ServerFinal)
	}
	if st.User != v.User || st.Authzid != v.Authzid {
		t.Errorf("identity %q, %q; want %q, %q",
			st.User, st.Authzid, v.User, v.Authzid)
	}
}

func replayClient(t *testing.T, v *vector) {
	x := v.client(t)
	cf, err := x.Initial()
	if err != nil || string(cf) != v.ClientFirst {
		t.Fatalf("client-first\n got %q, %v\nwant %q", cf, err, v.ClientFirst)
	}
	cl, err := x.Next([]byte(v.ServerFirst))
	if err != nil || string(cl) != v.ClientFinal {
		t.Fatalf("client-final\n got %q, %v\nwant %q", cl, err, v.ClientFinal)
	}
	if err := x.Verify([]byte(v.ServerFinal)); err != nil {
		t.Fatalf("server-final: %v", err)
	}
}

// TestExtensionInAuthMessage is the negative check of XEP-0474 example 1:
// the x= attribute is part of AuthMessage, so a proof computed without it
// differs, and the server refuses the message with x= taken out.
func TestExtensionInAuthMessage(t *testing.T) {
	var vs []vector
	readJSON(t, "vectors.json", &vs)
	var v *vector
	for i := range vs {
		if vs[i].FinalExtensions != "" && !vs[i].Computed {
			v = &vs[i]
		}
	}
	if v == nil {
		t.Fatal("no vector with an extension")
	}

	t.Run("a proof without x= is a different proof", func(t *testing.T) {
		w := *v
		w.FinalExtensions = ""
		x := w.client(t)
		x.Initial()
		cl, err := x.Next([]byte(w.ServerFirst))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(cl), ",p=NWgTsQJv") {
			t.Errorf("client-final %q, want proof NWgTsQJv…", cl)
		}
	})
	t.Run("the server refuses the message with x= removed", func(t *testing.T) {
		x := v.server(t)
		ctx := context.Background()
		if _, err := x.Next(ctx, []byte(v.ClientFirst)); err != nil {
			t.Fatal(err)
		}
		cl := strings.Replace(v.ClientFinal, v.FinalExtensions, "", 1)
		_, err := x.Next(ctx, []byte(cl))
		wantCondition(t, err, sasl2.NotAuthorized)
	})
}

// ssdpVector is one entry of testdata/scram/ssdp.json.
type ssdpVector struct {
	Name       string   `json:"name"`
	Source     string   `json:"source"`
	Computed   bool     `json:"computed"`
	Hash       string   `json:"hash"`
	Mechanisms []string `json:"mechanisms"`
	Bindings   []string `json:"bindings"`
	H          string   `json:"h"`
}

var hashNames = map[string]crypto.Hash{
	"SHA-1": crypto.SHA1, "SHA-256": crypto.SHA256, "SHA-512": crypto.SHA512,
}

func TestSSDPVectors(t *testing.T) {
	var vs []ssdpVector
	readJSON(t, "ssdp.json", &vs)
	for i := range vs {
		v := &vs[i]
		t.Run(v.Name, func(t *testing.T) {
			h, ok := hashNames[v.Hash]
			if !ok {
				t.Fatalf("unknown hash %q", v.Hash)
			}
			got := ssdp(h, v.Mechanisms, v.Bindings)
			if *update && v.Computed {
				v.H = got
			}
			if got != v.H {
				t.Errorf("h=%s, want %s", got, v.H)
			}
		})
	}
	if *update {
		writeJSON(t, "ssdp.json", vs)
	}
}

// wantCondition checks that err is a *sasl2.Failure with condition c, or
// that err is nil when c is "".
func wantCondition(t testing.TB, err error, c sasl2.Condition) {
	t.Helper()
	if c == "" {
		if err != nil {
			t.Fatalf("got %v, want success", err)
		}
		return
	}
	if f, ok := err.(*sasl2.Failure); !ok || f.Condition != c {
		t.Fatalf("got %v, want failure %s", err, c)
	}
}
