package bind2

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

func TestCleanTag(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		ok   bool
	}{
		{"a plain tag is kept as it is", "AwesomeXMPP", "AwesomeXMPP", true},
		{"slashes and at signs are allowed", "a/b@c", "a/b@c", true},
		{"XML white space around it is removed", " \tTag\r\n", "Tag", true},
		{"inner spaces are kept", "Awesome XMPP", "Awesome XMPP", true},
		{"a non-ASCII space becomes a space", "Awesome\u00a0XMPP", "Awesome XMPP", true},
		{"a combining sequence is composed", "Cafe\u0301", "Café", true},
		{"emoji are allowed", "Chat 🙂", "Chat 🙂", true},
		{"an empty tag is dropped", "", "", false},
		{"a tag of white space is dropped", "  \n", "", false},
		{"a bell is dropped", "a\u0007b", "", false},
		{"a NUL is dropped", "a\x00b", "", false},
		{"a tab inside is dropped", "a\tb", "", false},
		{"a C1 control is dropped", "a\u0085b", "", false},
		{"a zero-width space is dropped", "a\u200bb", "", false},
		{"a private-use character is dropped", "a\ue000b", "", false},
		{"invalid UTF-8 is dropped", "a\xffb", "", false},
		{"MaxTag octets are kept", strings.Repeat("a", MaxTag), strings.Repeat("a", MaxTag), true},
		{"one octet more is dropped", strings.Repeat("a", MaxTag+1), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cleanTag(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("cleanTag(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestOfAccount(t *testing.T) {
	tests := []struct {
		name string
		full string
		jid  string
		want bool
	}{
		{"a full JID of the account is", "a@b/c", "a@b", true},
		{"a resource with slashes is", "a@b/c/d", "a@b/x", true},
		{"the bare JID is not", "a@b", "a@b", false},
		{"an empty resource is not", "a@b/", "a@b", false},
		{"another domain is not", "a@b.evil/c", "a@b", false},
		{"another user is not", "aa@b/c", "a@b", false},
		{"nothing is not", "", "", false},
		{"a resource over 1023 octets is not", "a@b/" + strings.Repeat("x", 1024), "a@b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ofAccount(tt.full, tt.jid); got != tt.want {
				t.Errorf("ofAccount(%q, %q) = %v", tt.full, tt.jid, got)
			}
		})
	}
}

// FuzzResource checks that any tag gives a valid resourcepart.
func FuzzResource(f *testing.F) {
	for _, s := range []string{
		"AwesomeXMPP", "a\u0007b", strings.Repeat("é", 600), " x ", "",
		"\u00a0", "e\u0301",
	} {
		f.Add(s, "0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60")
	}
	f.Fuzz(func(t *testing.T, tag, id string) {
		x := New(Config{
			Secret: []byte("k"),
			Rand:   strings.NewReader(strings.Repeat("r", 9)),
		}).(*server)
		clean, _ := cleanTag(tag)
		res, err := x.resource("alice@example.org", id, clean)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) > MaxResource || !utf8.ValidString(res) ||
			strings.ContainsFunc(res, unicode.IsControl) {
			t.Fatalf("resource %q from tag %q", res, tag)
		}
		if _, err := precis.OpaqueString.String(res); err != nil {
			t.Fatalf("resource %q is not a resourcepart: %v", res, err)
		}
		if id != "" && len(id) > 8 && strings.Contains(res, id) {
			t.Fatalf("resource %q shows the id", res)
		}
	})
}
