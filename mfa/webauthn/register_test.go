package webauthn_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/webauthn"
	"github.com/xmppauth/xmppauth/sasl2"
)

// creationOptions is what the tests read of the creation options.
type creationOptions struct {
	RP struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rp"`
	User struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	} `json:"user"`
	Challenge   string                `json:"challenge"`
	Params      []json.RawMessage     `json:"pubKeyCredParams"`
	Timeout     int                   `json:"timeout"`
	Exclude     []struct{ ID string } `json:"excludeCredentials"`
	Attestation string                `json:"attestation"`
}

func TestCreationOptions(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	k := r.enrolled(uvKey, 0)
	c, err := r.f.Begin(ctx, "juliet", "")
	if err != nil {
		t.Fatal(err)
	}
	var o creationOptions
	if err := json.Unmarshal([]byte(c.JSON), &o); err != nil {
		t.Fatal(err)
	}
	handle, _ := b64dec(o.User.ID)
	challenge, _ := b64dec(o.Challenge)
	switch {
	case o.RP.ID != rpID || o.RP.Name != "Example":
		t.Errorf("rp %+v", o.RP)
	case o.User.Name != "juliet@example.org" ||
		o.User.DisplayName != "juliet" || len(handle) != 32 ||
		strings.Contains(string(handle), "juliet"):
		t.Errorf("user %+v", o.User)
	case len(challenge) < 16 || len(o.Params) == 0 || o.Timeout != 300000:
		t.Errorf("creation options %s", c.JSON)
	case o.Attestation != "none":
		t.Errorf("attestation %q, want none", o.Attestation)
	case len(o.Exclude) != 1 || o.Exclude[0].ID != b64(k.cred.ID):
		t.Errorf("excludeCredentials %+v, want the registered key", o.Exclude)
	}

	// A second ceremony has another challenge but the same user handle.
	c2, err := r.f.Begin(ctx, "juliet", "")
	if err != nil {
		t.Fatal(err)
	}
	var o2 creationOptions
	json.Unmarshal([]byte(c2.JSON), &o2)
	if o2.Challenge == o.Challenge || o2.User.ID != o.User.ID {
		t.Errorf("two ceremonies: challenges %q %q, handles %q %q",
			o.Challenge, o2.Challenge, o.User.ID, o2.User.ID)
	}
}

func TestFinishStoresTheCredential(t *testing.T) {
	r := newRig(t)
	k := newKey(virtualwebauthn.AuthenticatorOptions{BackupEligible: true,
		BackupState: true}, 42)
	fi := r.register("juliet", k)
	c := r.credential()
	switch {
	case c.Account != "juliet" || c.Name != "Blue key" ||
		b64(c.ID) != fi.ID || len(c.PublicKey) == 0:
		t.Errorf("stored %+v", c)
	case c.SignCount != 42 || !c.BackupEligible || !c.BackupState:
		t.Errorf("count %d, BE %v, BS %v; want 42, true, true",
			c.SignCount, c.BackupEligible, c.BackupState)
	case c.AttestationType != "packed" || string(c.AAGUID) != string(k.auth.Aaguid[:]):
		t.Errorf("attestation %q, AAGUID %x", c.AttestationType, c.AAGUID)
	case !c.Created.Equal(r.clock.Now()) || !c.LastUsed.IsZero():
		t.Errorf("created %v, last used %v", c.Created, c.LastUsed)
	}
	if n := r.store.open(); n != 0 {
		t.Errorf("%d ceremonies left open", n)
	}
}

func TestFinishRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		// answer returns the response to Finish for creation options.
		answer func(r *rig, creation string) string
		want   []error
	}{
		{"a response from another origin is refused",
			func(r *rig, c string) string {
				k := newKey(uvKey, 0)
				k.rp.Origin = "https://evil.example"
				return k.attest(r.t, c)
			}, []error{notAuthorized, mfa.ErrRejected}},
		{"a response for another RP ID is refused",
			func(r *rig, c string) string {
				k := newKey(uvKey, 0)
				k.rp.ID = "evil.example"
				return k.attest(r.t, c)
			}, []error{notAuthorized, mfa.ErrRejected}},
		{"backup state without eligibility is refused",
			func(r *rig, c string) string {
				k := newKey(virtualwebauthn.AuthenticatorOptions{
					BackupState: true}, 0)
				return k.attest(r.t, c)
			}, []error{notAuthorized, mfa.ErrRejected}},
		{"a response without user presence is refused",
			func(r *rig, c string) string {
				k := newKey(virtualwebauthn.AuthenticatorOptions{
					UserNotPresent: true}, 0)
				return k.attest(r.t, c)
			}, []error{notAuthorized, mfa.ErrRejected}},
		{"a response for a challenge never issued finds nothing pending",
			func(r *rig, c string) string {
				c = strings.Replace(c, `"challenge":"`,
					`"challenge":"AAAA`, 1)
				return newKey(uvKey, 0).attest(r.t, c)
			}, []error{mfa.ErrNotFound}},
		{"a response after the challenge expired finds nothing pending",
			func(r *rig, c string) string {
				r.clock.Add(webauthn.DefaultChallengeTTL)
				return newKey(uvKey, 0).attest(r.t, c)
			}, []error{mfa.ErrNotFound, webauthn.ErrExpired}},
		{"a response that is not JSON is malformed",
			func(*rig, string) string { return `{"id":` },
			[]error{mfa.ErrMalformed}},
		{"a response over the size limit is malformed",
			func(*rig, string) string {
				return `"` + strings.Repeat("A", webauthn.MaxJSON) + `"`
			}, []error{mfa.ErrMalformed}},
		{"an empty response is malformed",
			func(*rig, string) string { return "" },
			[]error{mfa.ErrMalformed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			c, err := r.f.Begin(t.Context(), "juliet", "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.f.Finish(t.Context(), "juliet", tc.answer(r, c.JSON))
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("Finish: %v, want %v", err, w)
				}
			}
			if ok, _ := r.f.Enrolled(t.Context(), "juliet"); ok {
				t.Error("a credential was stored")
			}
		})
	}
}

func TestFinishUsesUpTheCeremony(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	c, err := r.f.Begin(ctx, "juliet", "")
	if err != nil {
		t.Fatal(err)
	}
	evil := newKey(uvKey, 0)
	evil.rp.Origin = "https://evil.example"
	if _, err := r.f.Finish(ctx, "juliet", evil.attest(t, c.JSON)); !errors.Is(err, mfa.ErrRejected) {
		t.Fatalf("Finish from another origin: %v", err)
	}
	// The ceremony is gone, for a valid response as for any other.
	good := newKey(uvKey, 0).attest(t, c.JSON)
	if _, err := r.f.Finish(ctx, "juliet", good); !errors.Is(err, mfa.ErrNotFound) {
		t.Errorf("Finish after a failure: %v, want ErrNotFound", err)
	}

	c, _ = r.f.Begin(ctx, "juliet", "")
	good = newKey(uvKey, 0).attest(t, c.JSON)
	if _, err := r.f.Finish(ctx, "romeo", good); !errors.Is(err, mfa.ErrNotFound) {
		t.Errorf("Finish by another account: %v, want ErrNotFound", err)
	}
	if _, err := r.f.Finish(ctx, "juliet", good); err != nil {
		t.Fatal(err)
	}
	if _, err := r.f.Finish(ctx, "juliet", good); !errors.Is(err, mfa.ErrNotFound) {
		t.Errorf("Finish twice: %v, want ErrNotFound", err)
	}
}

func TestACredentialIsRegisteredOnce(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	k := r.enrolled(uvKey, 0)
	for _, account := range []string{"juliet", "romeo"} {
		c, err := r.f.Begin(ctx, account, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.f.Finish(ctx, account, k.attest(t, c.JSON))
		if !errors.Is(err, mfa.ErrConflict) {
			t.Errorf("registering juliet's key again for %s: %v", account, err)
		}
	}
}

func TestALoginChallengeCannotRegister(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	k := r.enrolled(uvKey, 0)
	task := r.f.Task()
	st, err := task.Start(ctx, &sasl2.Result{User: "juliet"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var req struct{ Challenge string }
	json.Unmarshal([]byte(st.Data[0].Text), &req)

	// Creation options made up around the login challenge.
	made := `{"rp":{"id":"example.org","name":"Example"},"user":{"id":"` +
		b64([]byte("juliet")) + `","name":"juliet","displayName":"juliet"},` +
		`"challenge":"` + req.Challenge + `"}`
	_, err = r.f.Finish(ctx, "juliet", newKey(uvKey, 0).attest(t, made))
	if !errors.Is(err, mfa.ErrNotFound) {
		t.Errorf("Finish with a login challenge: %v, want ErrNotFound", err)
	}
	// The login challenge is used up with it.
	a, _ := k.sign(st.Data[0].Text)
	_, err = task.Next(ctx, []sasl2.Element{
		mfa.Text(mfa.ElemWebAuthnAssertion, a)})
	if !errors.Is(err, mfa.ErrReplayed) {
		t.Errorf("login after the misuse: %v, want ErrReplayed", err)
	}
}

func TestBeginRefusesLongNames(t *testing.T) {
	r := newRig(t)
	_, err := r.f.Begin(t.Context(), "juliet",
		strings.Repeat("k", mfa.MaxNameLen+1))
	if !errors.Is(err, mfa.ErrMalformed) {
		t.Errorf("Begin with a long name: %v", err)
	}
}

// TestEnrolmentIQs runs the payloads of docs/mfa.md §6.3 through XML:
// <enrol>, its result, <confirm> and the <factor/> that answers it.
func TestEnrolmentIQs(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	k := newKey(uvKey, 0)

	// C: <enrol type='webauthn' name='Blue key'/>
	enrol := mfa.Enrol{Type: mfa.TypeWebAuthn, Name: "Blue key"}
	e, err := mfa.ParseEnrol(roundTrip(t, enrol.Element()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.f.Begin(ctx, "juliet", e.Name)
	if err != nil {
		t.Fatal(err)
	}
	// S: <enrol type='webauthn'><webauthn-creation>…
	res := roundTrip(t, c.Element())
	creation := res.Child(mfa.NS, mfa.ElemWebAuthnCreation)
	if res.Name.Local != mfa.ElemEnrol ||
		res.Attribute("type") != mfa.TypeWebAuthn || creation == nil ||
		creation.Text != c.JSON {
		t.Fatalf("enrol result %+v", res)
	}

	// C: <confirm type='webauthn'><webauthn-attestation>…
	confirm := mfa.Confirm{Type: mfa.TypeWebAuthn, Proof: []sasl2.Element{
		mfa.Text(mfa.ElemWebAuthnAttestation, k.attest(t, creation.Text))}}
	got, err := mfa.ParseConfirm(roundTrip(t, confirm.Element()))
	if err != nil {
		t.Fatal(err)
	}
	att, err := mfa.One(got.Proof, mfa.ElemWebAuthnAttestation)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := r.f.Finish(ctx, "juliet", att.Text)
	if err != nil {
		t.Fatal(err)
	}
	// S: <factor type='webauthn' id='…' name='Blue key' created='…'/>
	f := roundTrip(t, fi.Element())
	if f.Attribute("type") != mfa.TypeWebAuthn ||
		f.Attribute("id") != b64(k.cred.ID) ||
		f.Attribute("name") != "Blue key" ||
		f.Attribute("created") != "2026-07-02T09:00:00Z" {
		t.Errorf("factor %+v", f)
	}
}

// roundTrip encodes e as XML and decodes it again.
func roundTrip(t *testing.T, e sasl2.Element) sasl2.Element {
	t.Helper()
	b, err := xml.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var out sasl2.Element
	if err := xml.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return out
}
