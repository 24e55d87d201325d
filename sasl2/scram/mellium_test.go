package scram

import (
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
	"mellium.im/sasl"
)

// mellium.im/sasl is an independent SCRAM implementation. It lacks
// SHA-512, tls-server-end-point and XEP-0474, so it checks our ends of
// SCRAM-SHA-1 and SCRAM-SHA-256 without channel binding, with random
// nonces on its side.
var melliumCases = []struct {
	name string
	mech sasl.Mechanism
	hash crypto.Hash
	new  func() hash.Hash
}{
	{"SCRAM-SHA-1", sasl.ScramSha1, crypto.SHA1, sha1.New},
	{"SCRAM-SHA-256", sasl.ScramSha256, crypto.SHA256, sha256.New},
}

// attempts are the two logins each interop test makes.
var attempts = []struct {
	password string
	ok       bool
	outcome  string
}{
	{"pencil", true, "logs in to %s"},
	{"crayon", false, "with a wrong password is refused by %s"},
}

func TestMelliumClient(t *testing.T) {
	ctx := context.Background()
	store := &MemoryStore{}
	for _, c := range melliumCases {
		creds, err := NewCredentials(c.hash, "pencil", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		store.Set("user", c.hash, creds)
	}
	for _, c := range melliumCases {
		for _, a := range attempts {
			password, ok := a.password, a.ok
			name := fmt.Sprintf("mellium's %s client "+a.outcome, c.name,
				"our server")
			t.Run(name, func(t *testing.T) {
				m, _ := Mechanism(c.name, &ServerConfig{Store: store})
				// Our server as XEP-0474 asks: it sends h=, which
				// mellium ignores as an unknown extension.
				x, _ := m.Start(ctx, &sasl2.Conn{
					Advertised: []string{"SCRAM-SHA-1", "SCRAM-SHA-256"},
				}, nil)
				neg := sasl.NewClient(c.mech, sasl.Credentials(
					func() ([]byte, []byte, []byte) {
						return []byte("user"), []byte(password), nil
					}))
				_, first, err := neg.Step(nil)
				if err != nil {
					t.Fatal(err)
				}
				st, err := x.Next(ctx, first)
				if err != nil {
					t.Fatal(err)
				}
				_, final, err := neg.Step(st.Challenge)
				if err != nil {
					t.Fatal(err)
				}
				st, err = x.Next(ctx, final)
				if !ok {
					wantCondition(t, err, sasl2.NotAuthorized)
					return
				}
				if err != nil || !st.Done || st.User != "user" {
					t.Fatalf("got %+v, %v", st, err)
				}
				// mellium verifies our server signature.
				if _, _, err := neg.Step(st.AdditionalData); err != nil {
					t.Fatalf("mellium refused our server-final: %v", err)
				}
			})
		}
	}
}

func TestMelliumServer(t *testing.T) {
	salt := []byte("mellium test salt")
	for _, c := range melliumCases {
		for _, a := range attempts {
			password, ok := a.password, a.ok
			name := fmt.Sprintf("our %s client "+a.outcome, c.name,
				"mellium's server")
			t.Run(name, func(t *testing.T) {
				salted := sasl.SCRAMSaltPassword(c.new, []byte("pencil"), salt, 4096)
				neg := sasl.NewServer(c.mech, nil, sasl.SaltedCredentials(
					func(user, _ []byte, _ string) ([]byte, []byte, int64, error) {
						if string(user) != "user" {
							return nil, nil, 0, sasl.ErrAuthn
						}
						return salt, salted, 4096, nil
					}))
				m, _ := ClientMechanism(c.name, "user", password, nil)
				x, err := m.Start(context.Background(), &sasl2.Conn{})
				if err != nil {
					t.Fatal(err)
				}
				first, _ := x.Initial()
				_, sf, err := neg.Step(first)
				if err != nil {
					t.Fatal(err)
				}
				final, err := x.Next(sf)
				if err != nil {
					t.Fatal(err)
				}
				_, sfin, err := neg.Step(final)
				if !ok {
					if err == nil {
						t.Fatal("mellium accepted a wrong password")
					}
					return
				}
				if err != nil {
					t.Fatalf("mellium refused our proof: %v", err)
				}
				if err := x.Verify(sfin); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestMelliumKeys checks Derive against mellium's SaltedPassword, so the
// stored keys agree with a second implementation for the RFC inputs.
func TestMelliumKeys(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString(rfcSalt)
	for _, c := range melliumCases {
		t.Run(c.name+" keys agree with mellium's salted password", func(t *testing.T) {
			salted := sasl.SCRAMSaltPassword(c.new, []byte("pencil"), salt, 4096)
			_, stored, server := keys(c.hash, salted)
			d, err := Derive(c.hash, "pencil", salt, 4096)
			if err != nil {
				t.Fatal(err)
			}
			if string(d.StoredKey) != string(stored) ||
				string(d.ServerKey) != string(server) {
				t.Fatal("keys differ")
			}
		})
	}
}
