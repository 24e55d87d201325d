package scram

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
)

// validConditions are the RFC 6120 conditions a failure may carry.
var validConditions = map[sasl2.Condition]bool{
	sasl2.Aborted: true, sasl2.AccountDisabled: true,
	sasl2.CredentialsExpired: true, sasl2.EncryptionRequired: true,
	sasl2.IncorrectEncoding: true, sasl2.InvalidAuthzid: true,
	sasl2.InvalidMechanism: true, sasl2.MalformedRequest: true,
	sasl2.MechanismTooWeak: true, sasl2.NotAuthorized: true,
	sasl2.TemporaryAuthFailure: true,
}

func fuzzVectors(f *testing.F) []vector {
	var vs []vector
	readJSON(f, "vectors.json", &vs)
	return vs
}

// FuzzServer feeds client-first and client-final messages to the server
// set up as one of the vectors. It must not panic, must fail only with an
// RFC 6120 condition, and may succeed only for the genuine client's exact
// messages.
func FuzzServer(f *testing.F) {
	vs := fuzzVectors(f)
	for i, v := range vs {
		f.Add(uint8(i), []byte(v.ClientFirst), []byte(v.ClientFinal))
		f.Add(uint8(i), []byte("y"+v.ClientFirst[1:]), []byte(v.ClientFinal))
		f.Add(uint8(i), []byte(v.ClientFirst+",m=x"), []byte(""))
		f.Add(uint8(i), []byte(v.ClientFirst),
			[]byte(strings.Replace(v.ClientFinal, "c=", "c=eSws", 1)))
	}
	f.Add(uint8(0), []byte("p=tls@exporter,,n=a=2Db,r=x"), []byte(",p="))
	f.Add(uint8(0), []byte("n,a=,n=user,r=x"), []byte("c=,r=,p="))
	// Derive once: PBKDF2 in every run would starve the fuzzer.
	mechs := make([]sasl2.Mechanism, len(vs))
	for i := range vs {
		mechs[i] = vs[i].mechanism(f)
	}
	f.Fuzz(func(t *testing.T, which uint8, first, final []byte) {
		i := int(which) % len(vs)
		v := &vs[i]
		ctx := context.Background()
		x, _ := mechs[i].Start(ctx, v.conn(), nil)
		st, err := x.Next(ctx, first)
		if err != nil {
			checkFailure(t, err)
			return
		}
		if st.Done {
			t.Fatal("done after client-first")
		}
		st, err = x.Next(ctx, final)
		if err != nil {
			checkFailure(t, err)
			return
		}
		if !st.Done || !strings.HasPrefix(string(st.AdditionalData), "v=") ||
			string(first) != v.ClientFirst || string(final) != v.ClientFinal {
			t.Fatalf("accepted %q, %q: %+v", first, final, st)
		}
	})
}

func checkFailure(t *testing.T, err error) {
	t.Helper()
	var f *sasl2.Failure
	if !errors.As(err, &f) || !validConditions[f.Condition] {
		t.Fatalf("error %v is not a defined failure", err)
	}
	if f.Condition != sasl2.NotAuthorized && f.Condition != sasl2.MalformedRequest {
		t.Fatalf("unexpected condition %s", f.Condition)
	}
}

// FuzzClient feeds server-first and server-final messages to the client
// set up as one of the vectors. It must not panic, and may trust the
// server only for the genuine server's messages.
func FuzzClient(f *testing.F) {
	vs := fuzzVectors(f)
	for i, v := range vs {
		f.Add(uint8(i), []byte(v.ServerFirst), []byte(v.ServerFinal))
		f.Add(uint8(i), []byte("m=x,"+v.ServerFirst), []byte(v.ServerFinal))
		f.Add(uint8(i), []byte(v.ServerFirst+",h=AAAA"), []byte("e=other-error"))
	}
	f.Fuzz(func(t *testing.T, which uint8, first, final []byte) {
		v := &vs[int(which)%len(vs)]
		x := v.client(t)
		if _, err := x.Initial(); err != nil {
			t.Fatal(err)
		}
		if _, err := x.Next(first); err != nil {
			return
		}
		if x.Verify(final) != nil {
			return
		}
		if string(first) != v.ServerFirst ||
			!strings.HasPrefix(string(final), v.ServerFinal) {
			t.Fatalf("trusted %q, %q", first, final)
		}
	})
}
