package mfa_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// parse decodes one element from s.
func parse(t testing.TB, s string) sasl2.Element {
	t.Helper()
	var e sasl2.Element
	if err := xml.Unmarshal([]byte(s), &e); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return e
}

func TestOneAndOptional(t *testing.T) {
	other := sasl2.Element{Name: xml.Name{Space: "urn:other", Local: "x"}}
	totp := mfa.Text(mfa.ElemTOTP, "123456")
	rec := mfa.Text(mfa.ElemRecovery, "x")
	for _, tc := range []struct {
		name     string
		payload  []sasl2.Element
		one, opt bool
	}{
		{"nothing", nil, false, true},
		{"only another namespace", []sasl2.Element{other}, false, true},
		{"the element", []sasl2.Element{totp}, true, true},
		{"the element and an extension", []sasl2.Element{other, totp}, true, true},
		{"two elements", []sasl2.Element{totp, totp}, false, false},
		{"the wrong element", []sasl2.Element{rec}, false, false},
		{"the element and a wrong one", []sasl2.Element{totp, rec}, false, false},
	} {
		_, err := mfa.One(tc.payload, mfa.ElemTOTP)
		if (err == nil) != tc.one || err != nil && !errors.Is(err, mfa.ErrMalformed) {
			t.Errorf("One, %s: %v", tc.name, err)
		}
		_, err = mfa.Optional(tc.payload, mfa.ElemTOTP)
		if (err == nil) != tc.opt {
			t.Errorf("Optional, %s: %v", tc.name, err)
		}
	}
}

func TestFactorListingRoundTrips(t *testing.T) {
	created := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	list := []mfa.FactorInfo{
		{Type: mfa.TypeTOTP, ID: "totp", Created: created, Remaining: -1},
		{Type: mfa.TypeWebAuthn, ID: "AbCd", Name: "Blue key",
			Created: created, LastUsed: created.Add(time.Hour), Remaining: -1},
		{Type: mfa.TypeRecovery, ID: "recovery", Remaining: 9},
	}
	b, err := xml.Marshal(mfa.FactorsElement(list))
	if err != nil {
		t.Fatal(err)
	}
	got, err := mfa.ParseFactors(parse(t, string(b)))
	if err != nil || len(got) != 3 {
		t.Fatalf("%s: %+v, %v", b, got, err)
	}
	for i := range list {
		g, w := got[i], list[i]
		if g.Type != w.Type || g.ID != w.ID || g.Name != w.Name ||
			!g.Created.Equal(w.Created) || !g.LastUsed.Equal(w.LastUsed) ||
			g.Remaining != w.Remaining {
			t.Errorf("factor %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestIQPayloadsParse(t *testing.T) {
	e, err := mfa.ParseEnrol(parse(t,
		`<enrol xmlns='urn:xmppauth:mfa:0' type='webauthn' name='Blue key'/>`))
	if err != nil || e.Type != mfa.TypeWebAuthn || e.Name != "Blue key" {
		t.Errorf("enrol: %+v, %v", e, err)
	}
	for _, bad := range []string{
		`<enrol xmlns='urn:xmppauth:mfa:0' type='sms'/>`,
		`<enrol xmlns='urn:other' type='totp'/>`,
		`<enrol xmlns='urn:xmppauth:mfa:0' type='webauthn' name='` +
			string(bytes.Repeat([]byte("n"), 65)) + `'/>`,
	} {
		if _, err := mfa.ParseEnrol(parse(t, bad)); !errors.Is(err, mfa.ErrMalformed) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	c, err := mfa.ParseConfirm(parse(t,
		`<confirm xmlns='urn:xmppauth:mfa:0' type='totp'><totp>081804</totp></confirm>`))
	if err != nil || c.Type != mfa.TypeTOTP || len(c.Proof) != 1 {
		t.Errorf("confirm: %+v, %v", c, err)
	}
	r, err := mfa.ParseRemove(parse(t,
		`<remove xmlns='urn:xmppauth:mfa:0' type='webauthn' id='AbCd'/>`))
	if err != nil || r.ID != "AbCd" {
		t.Errorf("remove: %+v, %v", r, err)
	}
	if _, err := mfa.ParseRemove(parse(t,
		`<remove xmlns='urn:xmppauth:mfa:0' type='totp'/>`)); err == nil {
		t.Error("remove without an id parsed")
	}
}

func TestPassedIgnoresBadCounts(t *testing.T) {
	got := mfa.ParsePassed([]sasl2.Element{
		parse(t, `<passed xmlns='urn:xmppauth:mfa:0' task='MFA-RECOVERY' remaining='+3'/>`),
		parse(t, `<passed xmlns='urn:xmppauth:mfa:0' remaining='3'/>`),
		parse(t, `<passed xmlns='urn:xmppauth:mfa:0' task='MFA-RECOVERY' remaining='3'/>`),
	})
	if len(got) != 2 || got[0].Remaining != -1 || got[1].Remaining != 3 {
		t.Errorf("%+v", got)
	}
}

// FuzzTaskPayload feeds hostile payloads to each task: none may panic,
// and none may pass but with the right TOTP code.
func FuzzTaskPayload(f *testing.F) {
	for _, s := range []string{
		`<x><totp xmlns='urn:xmppauth:mfa:0'>081804</totp></x>`,
		`<x><totp xmlns='urn:xmppauth:mfa:0'>123456</totp></x>`,
		`<x><recovery xmlns='urn:xmppauth:mfa:0'>0000-0000-0000-0000</recovery></x>`,
		`<x><totp xmlns='urn:xmppauth:mfa:0'><totp/></totp></x>`,
		`<x><totp xmlns='urn:xmppauth:mfa:0'/><totp xmlns='urn:xmppauth:mfa:0'/></x>`,
		`<x><recovery xmlns='urn:xmppauth:mfa:0'>   </recovery><y xmlns='urn:o'/></x>`,
	} {
		f.Add(s)
	}
	now := func() time.Time { return time.Unix(1111111109, 0) }
	f.Fuzz(func(t *testing.T, s string) {
		var x sasl2.Element
		if xml.Unmarshal([]byte(s), &x) != nil {
			return
		}
		ctx := t.Context()
		store := mfa.NewMemoryStore()
		totp := rfcTOTP(t, store, now)
		rec, _ := mfa.NewRecovery(mfa.RecoveryConfig{Store: store, Now: now})
		if _, err := rec.Generate(ctx, "juliet"); err != nil {
			t.Fatal(err)
		}
		for _, task := range []sasl2.Task{totp.Task(), rec.Task()} {
			st, err := task.Start(ctx, &sasl2.Result{User: "juliet"},
				x.Children)
			if err == nil && !st.Done {
				st, err = task.Next(ctx, x.Children)
			}
			if err == nil && st.Done && task.Name() != mfa.TaskTOTP {
				t.Fatalf("%s passed on %q", task.Name(), s)
			}
		}
	})
}
