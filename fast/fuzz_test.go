package fast

import (
	"bytes"
	"context"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
)

// FuzzInitiator feeds arbitrary initial responses to the parser and to the
// server mechanism, seeded with the vectors. Neither may panic; whatever
// parses must be a valid identity and a proof of the hash's size, and
// build the same message again; the server accepts only the one message
// of its token.
func FuzzInitiator(f *testing.F) {
	for _, v := range readVectors(f) {
		f.Add(v.Mechanism, v.Initiator)
	}
	f.Add("HT-SHA-256-NONE", []byte{})
	f.Add("HT-SHA-256-NONE", []byte("\x00\x00"))

	fx := newFixture(f, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
	fx.plant("client", "secret-token:fast-example", "HT-SHA-256-NONE", 0)
	good := readVectors(f)[0].Initiator
	f.Fuzz(func(t *testing.T, mech string, msg []byte) {
		if msg == nil {
			msg = []byte{} // nil would be no initial response
		}
		h, ok := lookup(mech)
		if !ok {
			h, _ = lookup("HT-SHA-256-NONE")
		}
		user, proof, err := draft.parseInitiator(h, msg)
		if err == nil {
			if !validAuthcid(user) || len(proof) != h.size {
				t.Fatalf("parsed %q and %d bytes", user, len(proof))
			}
			again := append(append([]byte(user), 0), proof...)
			if !bytes.Equal(again, msg) {
				t.Fatalf("%q does not rebuild", msg)
			}
		}

		conn := fx.conn()
		conn.Inline = []string{"HT-SHA-256-NONE"}
		m := fx.srv.InlineMechanisms(conn)[0]
		x, err := m.Start(context.Background(), conn, &sasl2.Authenticate{
			UserAgent:  &sasl2.UserAgent{ID: clientID},
			Extensions: []sasl2.Element{(&Auth{}).Element()},
		})
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.Next(context.Background(), msg)
		if (err == nil) != bytes.Equal(msg, good) || (err == nil && !st.Done) {
			t.Fatalf("message %q: %+v, %v", msg, st, err)
		}
	})
}
