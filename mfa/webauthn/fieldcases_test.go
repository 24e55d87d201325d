package webauthn_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/webauthn"
	"github.com/xmppauth/xmppauth/sasl2"
)

// TestBC08 is field case BC-08: the signature counter. A credential with
// stored count S receives an assertion with flags 0x05 (UP|UV) and count
// N; either value non-zero and N ≤ S is the clone signal, which fails,
// and the stored count becomes N only on success.
func TestBC08(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, count uint32
		ok            bool
		after         uint32
	}{
		{"a counter one above the stored one is accepted", 5, 6, true, 6},
		{"a counter equal to the stored one is a clone signal", 6, 6, false, 6},
		{"a lower counter is a clone signal and never lowers the stored one", 6, 3, false, 6},
		{"an authenticator without a counter sends zero each time", 0, 0, true, 0},
		{"zero after a non-zero counter is a clone signal", 7, 0, false, 7},
		{"a counter that jumps ahead is stored as sent, not as one more", 6, 100, true, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			k := r.enrolled(uvKey, tc.before)
			if c := r.credential(); c.SignCount != tc.before {
				t.Fatalf("registered with count %d, want %d",
					c.SignCount, tc.before)
			}
			k.cred.Counter = tc.count
			rec := &recorder{k: k}
			out := r.login(rec.task())
			if f := flags(t, rec.last); f != 0x05 {
				t.Errorf("flags %#02x, want 0x05", f)
			}
			if tc.ok {
				passed(t, out)
			} else {
				rejected(t, out, webauthn.ErrCloned)
			}
			if c := r.credential(); c.SignCount != tc.after {
				t.Errorf("stored count %d, want %d", c.SignCount, tc.after)
			}
		})
	}
}

// TestBC09 is field case BC-09 (3) to (6): the RP ID hash and the flags.
// Each rejection is the uniform not-authorized, with the challenge used
// up and no session. A backed-up passkey that signs correctly passes, so
// that the rows fail for what they change.
func TestBC09(t *testing.T) {
	// BC-09 (3) gives the two hashes.
	for id, want := range map[string]string{
		"example.org":     "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b5",
		"example.org:443": "3f56b5fb01044d4144568708c6a52c9a1a00d28d4c17722dd405e3e910fc49f4",
	} {
		if h := sha256.Sum256([]byte(id)); hex.EncodeToString(h[:]) != want {
			t.Fatalf("SHA-256(%s) is not the field case's", id)
		}
	}
	backedUp := virtualwebauthn.AuthenticatorOptions{BackupEligible: true}
	for _, tc := range []struct {
		name       string
		uv         webauthn.UserVerification
		registered virtualwebauthn.AuthenticatorOptions
		change     func(k *key)
		flags      byte
		// why is what the cause says, "" for a pass.
		why string
	}{
		{"a synced passkey that signs correctly passes", "", backedUp,
			func(k *key) { k.auth.Options.BackupState = true }, 0x1d, ""},
		{"an RP ID hash over the domain and port is refused", "", backedUp,
			func(k *key) { k.rp.ID = "example.org:443" }, 0x0d,
			"RP Hash mismatch"},
		{"backup state without eligibility is refused", "", uvKey,
			func(k *key) { k.auth.Options.BackupState = true }, 0x15,
			"Backup State"},
		{"backup state without eligibility is refused for an eligible credential",
			"", backedUp, func(k *key) {
				k.auth.Options.BackupEligible = false
				k.auth.Options.BackupState = true
			}, 0x15, "Backup Eligible"},
		{"eligibility lost since registration is refused", "", backedUp,
			func(k *key) { k.auth.Options.BackupEligible = false }, 0x05,
			"Backup Eligible"},
		{"eligibility gained since registration is refused", "", uvKey,
			func(k *key) { k.auth.Options.BackupEligible = true }, 0x0d,
			"Backup Eligible"},
		{"a user not verified is refused when policy requires verification",
			webauthn.VerificationRequired, uvKey,
			func(k *key) { k.auth.Options.UserNotVerified = true }, 0x01,
			"User verification"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, func(c *webauthn.Config) {
				c.UserVerification = tc.uv
			})
			k := r.enrolled(tc.registered, 0)
			tc.change(k)
			rec := &recorder{k: k}
			out := r.login(rec.task())
			if f := flags(t, rec.last); f != tc.flags {
				t.Errorf("flags %#02x, want %#02x", f, tc.flags)
			}
			if tc.why == "" {
				passed(t, out)
				if c := r.credential(); !c.BackupState {
					t.Error("backup state not recorded")
				}
			} else {
				rejected(t, out, mfa.ErrRejected)
				mentions(t, out, tc.why)
			}
			if n := r.store.open(); n != 0 {
				t.Errorf("%d ceremonies left open", n)
			}
		})
	}
}

// TestBC09ReplayInALaterNegotiation is BC-09 (1): an assertion accepted
// in one negotiation fails in the next, which issued another challenge.
func TestBC09ReplayInALaterNegotiation(t *testing.T) {
	r := newRig(t)
	rec := &recorder{k: r.enrolled(uvKey, 0)}
	rec.k.cred.Counter = 1
	passed(t, r.login(rec.task()))

	rec.replay = rec.last
	rejected(t, r.login(rec.task()), mfa.ErrRejected)
	// Signed for the new challenge but with the counter already used.
	rec.replay = ""
	rejected(t, r.login(rec.task()), webauthn.ErrCloned)
	if n := r.store.open(); n != 0 {
		t.Errorf("%d ceremonies left open", n)
	}
}

// TestBC09FailedAttemptBurnsTheChallenge is BC-09 (2): an assertion with
// a bad signature uses up the challenge, so that a valid assertion for it
// fails too, in the same negotiation or from a task that shares it; only
// a new negotiation succeeds.
func TestBC09FailedAttemptBurnsTheChallenge(t *testing.T) {
	r := newRig(t)
	k := r.enrolled(uvKey, 0)
	ctx := t.Context()
	var cause error
	s := r.server(&cause)
	s.Features()
	send := func(el any) any {
		t.Helper()
		out, err := s.Receive(ctx, wire(t, el))
		if err != nil {
			return err
		}
		return out
	}

	send(&sasl2.Authenticate{Mechanism: "PLAIN",
		InitialResponse: []byte("\x00juliet\x00secret")})
	data, ok := send(&sasl2.Next{Task: mfa.TaskWebAuthn}).(*sasl2.TaskData)
	if !ok {
		t.Fatal("no request options")
	}
	req, err := mfa.One(data.Payload, mfa.ElemWebAuthnRequest)
	if err != nil {
		t.Fatal(err)
	}
	good, err := k.sign(req.Text)
	if err != nil {
		t.Fatal(err)
	}
	bad := tamper(t, good)
	answer := func(a string) *sasl2.TaskData {
		return &sasl2.TaskData{Payload: []sasl2.Element{
			mfa.Text(mfa.ElemWebAuthnAssertion, a)}}
	}

	f, ok := send(answer(bad)).(*sasl2.Failure)
	if !ok || f.Condition != sasl2.NotAuthorized ||
		!errors.Is(cause, mfa.ErrRejected) {
		t.Fatalf("bad signature: %+v (%v)", f, cause)
	}
	if _, ok := send(answer(good)).(*sasl2.Success); ok {
		t.Fatal("the retry in the same negotiation succeeded")
	}
	if n := r.store.open(); n != 0 {
		t.Errorf("%d ceremonies left open", n)
	}

	// Two tasks await one challenge: the first answer burns it for both.
	first := r.f.Task()
	st, err := first.Start(ctx, &sasl2.Result{User: "juliet"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	second := r.f.Task()
	webauthn.Share(second, first)
	good, _ = k.sign(st.Data[0].Text)
	_, err = first.Next(ctx, answer(tamper(t, good)).Payload)
	if !errors.Is(err, notAuthorized) || !errors.Is(err, mfa.ErrRejected) {
		t.Errorf("bad signature: %v", err)
	}
	_, err = second.Next(ctx, answer(good).Payload)
	if !errors.Is(err, notAuthorized) || !errors.Is(err, mfa.ErrReplayed) {
		t.Errorf("valid assertion for a burnt challenge: %v", err)
	}

	passed(t, r.login(k.client()))
}

// flags returns the flags byte of the authenticator data in an
// AuthenticationResponseJSON: after the 32 bytes of the RP ID hash.
func flags(t *testing.T, assertion string) byte {
	t.Helper()
	var a struct {
		Response struct {
			AuthenticatorData string `json:"authenticatorData"`
		} `json:"response"`
	}
	if err := json.Unmarshal([]byte(assertion), &a); err != nil {
		t.Fatalf("assertion %q: %v", assertion, err)
	}
	data, err := b64dec(a.Response.AuthenticatorData)
	if err != nil || len(data) < 37 {
		t.Fatalf("authenticator data %q: %v", a.Response.AuthenticatorData, err)
	}
	return data[32]
}

// tamper returns assertion with one bit of its signature flipped.
func tamper(t *testing.T, assertion string) string {
	t.Helper()
	var a map[string]any
	if err := json.Unmarshal([]byte(assertion), &a); err != nil {
		t.Fatal(err)
	}
	resp := a["response"].(map[string]any)
	sig, err := b64dec(resp["signature"].(string))
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 1
	resp["signature"] = b64(sig)
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
