package webauthn_test

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/webauthn"
	"github.com/xmppauth/xmppauth/sasl2"
)

// vectors returns the files of testdata/mfa/webauthn/dir by name.
func vectors(t testing.TB, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "mfa",
		"webauthn", dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors in %s: %v", dir, err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = strings.TrimSuffix(string(b), "\n")
	}
	return out
}

// uniform fails t unless err is the failure of a task that refused its
// proof: not-authorized, or malformed-request for what could not be
// read, with mfa.FailureText either way.
func uniform(t testing.TB, err error) {
	t.Helper()
	var f *sasl2.Failure
	switch {
	case !errors.As(err, &f):
		t.Fatalf("%v is not a SASL2 failure", err)
	case f.Condition != sasl2.NotAuthorized &&
		f.Condition != sasl2.MalformedRequest:
		t.Fatalf("condition %s for %v", f.Condition, err)
	case f.Text != mfa.FailureText:
		t.Fatalf("text %q", f.Text)
	}
}

// answer starts a task for juliet and answers its request with payload.
func (r *rig) answer(t testing.TB, payload []sasl2.Element) error {
	t.Helper()
	ctx := t.Context()
	task := r.f.Task()
	if _, err := task.Start(ctx, &sasl2.Result{User: "juliet"}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := task.Next(ctx, payload)
	return err
}

func assertion(text string) []sasl2.Element {
	return []sasl2.Element{mfa.Text(mfa.ElemWebAuthnAssertion, text)}
}

func TestHostileAssertionsFailUniformly(t *testing.T) {
	r := newRig(t)
	r.enrolled(uvKey, 0)
	for name, text := range vectors(t, "assertions") {
		t.Run(name, func(t *testing.T) {
			uniform(t, r.answer(t, assertion(text)))
			if n := r.store.open(); n != 0 {
				t.Errorf("%d ceremonies left open", n)
			}
		})
	}
}

func TestHostileAttestationsFailWithoutStoring(t *testing.T) {
	r := newRig(t)
	for name, text := range vectors(t, "attestations") {
		t.Run(name, func(t *testing.T) {
			if _, err := r.f.Begin(t.Context(), "juliet", ""); err != nil {
				t.Fatal(err)
			}
			_, err := r.f.Finish(t.Context(), "juliet", text)
			if !errors.Is(err, mfa.ErrNotFound) {
				uniform(t, err)
			}
			if ok, _ := r.f.Enrolled(t.Context(), "juliet"); ok {
				t.Error("a credential was stored")
			}
		})
	}
}

func TestMalformedAnswers(t *testing.T) {
	r := newRig(t)
	k := r.enrolled(uvKey, 0)
	long := strings.Repeat(" ", webauthn.MaxJSON) + "{}"
	other := sasl2.Element{Name: xml.Name{Space: "urn:example", Local: "x"}}
	child := mfa.Text(mfa.ElemWebAuthnAssertion, "{}")
	child.Children = []sasl2.Element{other}
	for _, tc := range []struct {
		name    string
		payload []sasl2.Element
	}{
		{"no payload", nil},
		{"an empty assertion", assertion("")},
		{"an assertion over the size limit", assertion(long)},
		{"an assertion with a child element", []sasl2.Element{child}},
		{"two assertions", append(assertion("{}"), assertion("{}")...)},
		{"a request in place of an assertion", []sasl2.Element{
			mfa.Text(mfa.ElemWebAuthnRequest, "{}")}},
		{"only an element of another namespace", []sasl2.Element{other}},
	} {
		t.Run(tc.name+" is malformed", func(t *testing.T) {
			err := r.answer(t, tc.payload)
			uniform(t, err)
			if !errors.Is(err, mfa.ErrMalformed) {
				t.Errorf("cause %v, want ErrMalformed", err)
			}
			if n := r.store.open(); n != 0 {
				t.Errorf("%d ceremonies left open", n)
			}
		})
	}

	ctx := t.Context()
	t.Run("an answer before any request is malformed", func(t *testing.T) {
		_, err := r.f.Task().Next(ctx, assertion("{}"))
		if !errors.Is(err, mfa.ErrMalformed) {
			t.Errorf("Next before Start: %v", err)
		}
	})
	t.Run("a second answer is malformed", func(t *testing.T) {
		task := r.f.Task()
		st, err := task.Start(ctx, &sasl2.Result{User: "juliet"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := k.sign(st.Data[0].Text)
		if _, err := task.Next(ctx, assertion(a)); err != nil {
			t.Fatal(err)
		}
		if _, err := task.Next(ctx, assertion(a)); !errors.Is(err, mfa.ErrMalformed) {
			t.Errorf("second Next: %v", err)
		}
	})
	t.Run("next carrying an element of the task is malformed", func(t *testing.T) {
		_, err := r.f.Task().Start(ctx, &sasl2.Result{User: "juliet"},
			assertion("{}"))
		if !errors.Is(err, mfa.ErrMalformed) {
			t.Errorf("Start: %v", err)
		}
	})
	t.Run("next carrying only foreign elements starts the task", func(t *testing.T) {
		task := r.f.Task()
		st, err := task.Start(ctx, &sasl2.Result{User: "juliet"},
			[]sasl2.Element{other})
		if err != nil || len(st.Data) != 1 {
			t.Fatalf("Start: %+v, %v", st, err)
		}
		a, _ := k.sign(st.Data[0].Text)
		if _, err := task.Next(ctx, assertion(a)); err != nil {
			t.Errorf("Next: %v", err)
		}
	})
}

// FuzzAssertion sends arbitrary text as the answer to a fresh challenge:
// the task fails uniformly and never panics. The corpus starts from the
// hostile vectors and one valid assertion (for another challenge).
func FuzzAssertion(f *testing.F) {
	r := newRig(f)
	k := r.enrolled(uvKey, 0)
	for _, text := range vectors(f, "assertions") {
		f.Add(text)
	}
	st, err := r.f.Task().Start(f.Context(), &sasl2.Result{User: "juliet"}, nil)
	if err != nil {
		f.Fatal(err)
	}
	a, _ := k.sign(st.Data[0].Text)
	f.Add(a)

	f.Fuzz(func(t *testing.T, text string) {
		uniform(t, r.answer(t, assertion(text)))
	})
}

// FuzzAttestation gives arbitrary text to Finish: it fails without a
// storage error and never panics.
func FuzzAttestation(f *testing.F) {
	r := newRig(f)
	for _, text := range vectors(f, "attestations") {
		f.Add(text)
	}
	c, err := r.f.Begin(f.Context(), "juliet", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(newKey(uvKey, 0).attest(f, c.JSON))

	f.Fuzz(func(t *testing.T, text string) {
		_, err := r.f.Finish(t.Context(), "juliet", text)
		if err != nil && !errors.Is(err, mfa.ErrNotFound) &&
			!errors.Is(err, mfa.ErrConflict) {
			uniform(t, err)
		}
	})
}
