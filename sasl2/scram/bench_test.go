package scram

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
)

// benchSetup returns stored credentials, a connection as SASL2 leaves it
// after the features, and a genuine client's two messages.
func benchSetup(b *testing.B) (*MemoryStore, *sasl2.Conn, []byte, []byte) {
	creds, err := NewCredentials(crypto.SHA256, "pencil", 4096,
		bytes.NewReader(make([]byte, 16)))
	if err != nil {
		b.Fatal(err)
	}
	store := &MemoryStore{}
	store.Set("user", crypto.SHA256, creds)
	conn := &sasl2.Conn{
		Domain:     "example.org",
		Advertised: []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"},
		AdvertisedBindings: []string{
			sasl2.TLSExporter, sasl2.TLSServerEndPoint,
		},
		Bindings: tls13Bindings(),
	}

	ctx := context.Background()
	m, _ := Mechanism("SCRAM-SHA-256", &ServerConfig{Store: store, Rand: repeat(make([]byte, nonceBytes))})
	sx, _ := m.Start(ctx, conn, nil)
	cm, _ := ClientMechanism("SCRAM-SHA-256", "user", "pencil", nil)
	cx, err := cm.Start(ctx, &sasl2.Conn{Advertised: conn.Advertised,
		AdvertisedBindings: conn.AdvertisedBindings})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := converse(cx, sx)
	if err != nil {
		b.Fatal(err)
	}
	return store, conn, tr.clientFirst, tr.clientFinal
}

// BenchmarkServerSCRAMSHA256 is one whole server-side exchange with stored
// keys: store lookup, parsing both client messages, the nonce, the
// XEP-0474 hash, the proof check and the server signature. The nonce comes
// from a constant reader; crypto/rand adds what it costs on the host.
func BenchmarkServerSCRAMSHA256(b *testing.B) {
	store, conn, first, final := benchSetup(b)
	ctx := context.Background()
	m, _ := Mechanism("SCRAM-SHA-256", &ServerConfig{Store: store, Rand: repeat(make([]byte, nonceBytes))})
	b.ReportAllocs()
	for b.Loop() {
		x, _ := m.Start(ctx, conn, nil)
		if _, err := x.Next(ctx, first); err != nil {
			b.Fatal(err)
		}
		st, err := x.Next(ctx, final)
		if err != nil || !st.Done {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorSCRAMSHA256 is the crypto any server must do for the same
// exchange: HMAC(StoredKey, AuthMessage), H(ClientKey) compared with
// StoredKey, and HMAC(ServerKey, AuthMessage).
func BenchmarkFloorSCRAMSHA256(b *testing.B) {
	store, _, first, final := benchSetup(b)
	creds, _ := store.Credentials(context.Background(), "user", crypto.SHA256)
	m, err := parseClientFinal(string(final))
	if err != nil {
		b.Fatal(err)
	}
	// AuthMessage as the server builds it, from the fixed server-first.
	x := &serverExchange{s: newServer(variants[4], &ServerConfig{}),
		conn: &sasl2.Conn{Advertised: []string{"SCRAM-SHA-256-PLUS",
			"SCRAM-SHA-256", "PLAIN"}, AdvertisedBindings: []string{
			sasl2.TLSExporter, sasl2.TLSServerEndPoint}}}
	x.nonce = string(first[len("n,,n=user,r="):]) + "AAAAAAAAAAAAAAAAAAAAAAAA"
	x.creds = creds
	am := []byte(string(first[3:]) + "," + string(x.serverFirst()) + "," +
		m.withoutProof)

	b.ReportAllocs()
	for b.Loop() {
		mac := hmac.New(sha256.New, creds.StoredKey)
		mac.Write(am)
		key := mac.Sum(nil)
		subtle.XORBytes(key, key, m.proof)
		sum := sha256.Sum256(key)
		if subtle.ConstantTimeCompare(sum[:], creds.StoredKey) != 1 {
			b.Fatal("proof does not verify")
		}
		mac = hmac.New(sha256.New, creds.ServerKey)
		mac.Write(am)
		mac.Sum(nil)
	}
}
