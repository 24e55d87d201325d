package mfa_test

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// line is one message of a transcript.
type line struct {
	client bool
	xml    string
}

// readTranscript reads the C: and S: lines of a file in testdata/mfa.
func readTranscript(t *testing.T, path string) []line {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []line
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "C: "), strings.HasPrefix(l, "S: "):
			out = append(out, line{client: l[0] == 'C', xml: l[3:]})
		case len(out) > 0:
			out[len(out)-1].xml += "\n" + l
		}
	}
	return out
}

// rfcTOTP returns a TOTP factor on store whose account juliet enrolled
// the RFC 6238 secret and confirmed it with the code of step 37037035.
// now must be in step 37037036.
func rfcTOTP(t testing.TB, store mfa.TOTPStore, now func() time.Time) *mfa.TOTP {
	t.Helper()
	totp, err := mfa.NewTOTP(mfa.TOTPConfig{Store: store,
		Sealer: newSealer(t), Issuer: "example.org", Now: now,
		Rand: io.MultiReader(strings.NewReader(rfcSecret), rand.Reader)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := totp.Enrol(context.Background(), "juliet"); err != nil {
		t.Fatal(err)
	}
	if err := totp.Confirm(context.Background(), "juliet", "731029"); err != nil {
		t.Fatal(err)
	}
	return totp
}

// transcriptServer returns a SASL2 server for the account the README of
// testdata/mfa describes.
func transcriptServer(t *testing.T) *sasl2.Server {
	t.Helper()
	ctx := t.Context()
	now := func() time.Time { return time.Unix(1111111109, 0) }
	store := mfa.NewMemoryStore()
	totp := rfcTOTP(t, store, now)
	rec, err := mfa.NewRecovery(mfa.RecoveryConfig{Store: store, Now: now,
		Rand: strings.NewReader(strings.Repeat(
			"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 10))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Generate(ctx, "juliet"); err != nil {
		t.Fatal(err)
	}
	policy := mfa.NewServer(mfa.Config{Factors: []mfa.Factor{totp, rec}})
	s := sasl2.NewServer(&sasl2.Config{
		Mechanisms: []sasl2.Mechanism{&password{}},
		Policy:     policy.Policy(),
	}, &sasl2.Conn{Domain: "example.org", TLS: tlsState})
	s.Features()
	return s
}

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("../testdata/mfa/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s := transcriptServer(t)
			var sent any
			for i, l := range readTranscript(t, f) {
				if l.client {
					d := xml.NewDecoder(strings.NewReader(l.xml))
					tok, err := d.Token()
					if err != nil {
						t.Fatalf("line %d: %v", i+1, err)
					}
					el, err := sasl2.Decode(d, tok.(xml.StartElement))
					if err != nil {
						t.Fatalf("line %d: %v", i+1, err)
					}
					if sent, err = s.Receive(t.Context(), el); err != nil {
						t.Fatalf("line %d: %v", i+1, err)
					}
					continue
				}
				b, err := xml.Marshal(sent)
				if err != nil {
					t.Fatal(err)
				}
				if d := meaning(t, string(b), l.xml); d != "" {
					t.Errorf("line %d: %s\ngot  %s\nwant %s", i+1, d, b, l.xml)
				}
			}
		})
	}
}

// meaning compares two serialised elements as element trees: names,
// attributes in any order, and text without surrounding space. It returns
// "" when they agree.
func meaning(t *testing.T, got, want string) string {
	var g, w sasl2.Element
	if err := xml.Unmarshal([]byte(got), &g); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	return treeDiff(g, w, "")
}

func treeDiff(g, w sasl2.Element, path string) string {
	path += "/" + w.Name.Local
	attrs := func(e sasl2.Element) []string {
		var out []string
		for _, a := range e.Attr {
			out = append(out, fmt.Sprintf("%s %s=%q", a.Name.Space,
				a.Name.Local, a.Value))
		}
		slices.Sort(out)
		return out
	}
	switch {
	case g.Name != w.Name:
		return fmt.Sprintf("%s: element %v, want %v", path, g.Name, w.Name)
	case !slices.Equal(attrs(g), attrs(w)):
		return fmt.Sprintf("%s: attributes %q, want %q", path, attrs(g), attrs(w))
	case strings.TrimSpace(g.Text) != strings.TrimSpace(w.Text):
		return fmt.Sprintf("%s: text %q, want %q", path, g.Text, w.Text)
	case len(g.Children) != len(w.Children):
		return fmt.Sprintf("%s: %d children, want %d", path,
			len(g.Children), len(w.Children))
	}
	for i := range w.Children {
		if d := treeDiff(g.Children[i], w.Children[i], path); d != "" {
			return d
		}
	}
	return ""
}
