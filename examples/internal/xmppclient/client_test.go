package xmppclient

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
)

func TestUserAgentIDIsDrawnOnceAndKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := UserAgentID(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := UserAgentID(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Errorf("id changed from %s to %s", first, again)
	}
	if id, ok := (&sasl2.UserAgent{ID: first}).ClientID(); !ok || id[14] != '4' || id[19] < '8' || id[19] > 'b' {
		t.Errorf("%s is not a UUIDv4", first)
	}
	if fi, err := os.Stat(filepath.Join(dir, userAgentFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("id file: %v", err)
	}
}

func TestUserAgentIDRefusesGarbage(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, userAgentFile), []byte("not-a-uuid\n"), 0o600)
	if id, err := UserAgentID(dir); err == nil {
		t.Errorf("got %q from a file without a UUID", id)
	}
}

func TestGS2Binding(t *testing.T) {
	for in, want := range map[string]string{
		"p=tls-exporter,,n=alice,r=abc":         "tls-exporter",
		"p=tls-server-end-point,a=x,n=alice,r=": "tls-server-end-point",
		"n,,n=alice,r=abc":                      "",
		"y,,n=alice,r=abc":                      "",
		"":                                      "",
	} {
		if got := gs2Binding([]byte(in)); got != want {
			t.Errorf("gs2Binding(%q) = %q, want %q", in, got, want)
		}
	}
}
