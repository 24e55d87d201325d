package mfa_test

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// A server asks a second factor of the accounts that enrolled one. The
// test mechanism TEST-PASSWORD stands in for SCRAM; the clock is pinned
// to an RFC 6238 test vector.
func ExampleServer_Policy() {
	ctx := context.Background()
	now := func() time.Time { return time.Unix(1111111109, 0) }
	store := mfa.NewMemoryStore()
	sealer, _ := fast.NewAESGCM(make([]byte, 32)) // use a secret key
	t, _ := mfa.NewTOTP(mfa.TOTPConfig{
		Store: store, Sealer: sealer, Issuer: "example.org", Now: now,
		// The RFC's secret, so that the codes below are the RFC's.
		Rand: io.MultiReader(strings.NewReader("12345678901234567890"),
			strings.NewReader(strings.Repeat("i", 16))),
	})
	rec, _ := mfa.NewRecovery(mfa.RecoveryConfig{Store: store})

	// Juliet enrols TOTP, confirming with the code of the step before;
	// that step is used up.
	setup, _ := t.Enrol(ctx, "juliet")
	fmt.Println(setup.URI)
	early, _ := totp.GenerateCodeCustom(setup.Secret, now().Add(-mfa.Period),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix})
	fmt.Println("confirmed:", t.Confirm(ctx, "juliet", early))

	policy := mfa.NewServer(mfa.Config{Factors: []mfa.Factor{t, rec}})
	srv := sasl2.NewServer(&sasl2.Config{
		Mechanisms: []sasl2.Mechanism{&password{}},
		Policy:     policy.Policy(),
	}, &sasl2.Conn{Domain: "example.org", TLS: &tls.ConnectionState{}})
	srv.Features()

	for _, in := range []any{
		&sasl2.Authenticate{Mechanism: "TEST-PASSWORD",
			InitialResponse: []byte("juliet\x00secret")},
		&sasl2.Next{Task: mfa.TaskTOTP, Payload: []sasl2.Element{
			mfa.Text(mfa.ElemTOTP, "081804")}},
	} {
		out, _ := srv.Receive(ctx, in)
		b, _ := xml.MarshalIndent(out, "", "  ")
		fmt.Println(string(b))
	}
	// Output:
	// otpauth://totp/example.org:juliet@example.org?algorithm=SHA1&digits=6&issuer=example.org&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
	// confirmed: <nil>
	// <continue xmlns="urn:xmpp:sasl:2">
	//   <tasks>
	//     <task>MFA-TOTP</task>
	//   </tasks>
	// </continue>
	// <success xmlns="urn:xmpp:sasl:2">
	//   <passed xmlns="urn:xmppauth:mfa:0" task="MFA-TOTP"></passed>
	//   <authorization-identifier>juliet@example.org</authorization-identifier>
	// </success>
}

// A client lists the tasks it can run, preferred first, and runs the
// first one the server offers. The TOTP task asks the user for the code
// and sends it in <next>.
func ExampleTOTPClient() {
	ask := func(ctx context.Context) (string, error) {
		fmt.Println("asked for a code")
		return "081804", nil
	}
	cfg := &sasl2.ClientConfig{
		Tasks: []sasl2.ClientTask{
			mfa.TOTPClient(ask),
			mfa.RecoveryClient(func(context.Context) (string, error) {
				return "", fmt.Errorf("no recovery code at hand")
			}),
		},
	}
	next, _ := cfg.Tasks[0].Start(context.Background())
	b, _ := xml.Marshal(&sasl2.Next{Task: cfg.Tasks[0].Name(), Payload: next})
	fmt.Println(string(b))
	// Output:
	// asked for a code
	// <next xmlns="urn:xmpp:sasl:2" task="MFA-TOTP"><totp xmlns="urn:xmppauth:mfa:0">081804</totp></next>
}

// Recovery codes are shown once, in groups of four.
func ExampleRecovery_Generate() {
	rec, _ := mfa.NewRecovery(mfa.RecoveryConfig{
		Store: mfa.NewMemoryStore(),
		Key:   []byte("a secret key, kept out of the database"),
		Rand:  strings.NewReader(strings.Repeat("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 10)),
	})
	codes, _ := rec.Generate(context.Background(), "juliet")
	fmt.Println(len(codes), codes[0])
	left, err := rec.Consume(context.Background(), "juliet", "000g-40r4-0m30-e209")
	fmt.Println(left, err)
	// Output:
	// 10 000G-40R4-0M30-E209
	// 9 <nil>
}
