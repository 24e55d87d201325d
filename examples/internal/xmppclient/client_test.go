package xmppclient

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/fast"
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

func TestFileKeeperKeepsTokensPrivatelyAndAtomically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k := NewFileKeeper(dir)
	const alice, bob = "alice@localhost", "bob@localhost"
	const id = "0b3c8a9e-5d5f-4e7a-9a51-7d3c2b1e4f60"
	if kept, err := k.Load(alice, id); err != nil || kept.Current != nil || kept.Previous != nil {
		t.Fatalf("empty keeper: %+v, %v", kept, err)
	}

	expiry := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	want := fast.Kept{
		Current:  &fast.ClientToken{Token: "secret-token:fast-new", Mechanism: "HT-SHA-256-EXPR", Expiry: expiry, Count: 3},
		Previous: &fast.ClientToken{Token: "secret-token:fast-old", Mechanism: "HT-SHA-256-EXPR", Expiry: expiry},
	}
	if err := k.Save(alice, id, want); err != nil {
		t.Fatal(err)
	}
	if err := k.Save(bob, id, fast.Kept{Current: want.Previous}); err != nil {
		t.Fatal(err)
	}
	got, err := NewFileKeeper(dir).Load(alice, id)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v, %v; want %+v", got, err, want)
	}
	fi, err := os.Stat(k.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v, mode %v", err, fi.Mode())
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("left behind: %v", files)
	}

	// The zero Kept forgets one entry, and the file goes with the last.
	if err := k.Save(alice, id, fast.Kept{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := k.Load(bob, id); got.Current == nil || got.Current.Token != "secret-token:fast-old" {
		t.Errorf("bob's token lost: %+v", got)
	}
	if err := k.Save(bob, id, fast.Kept{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(k.Path()); !os.IsNotExist(err) {
		t.Errorf("token file after the last token: %v", err)
	}
}

func TestHTBinding(t *testing.T) {
	for in, want := range map[string]string{
		"HT-SHA-256-EXPR": "tls-exporter",
		"HT-SHA-512-ENDP": "tls-server-end-point",
		"HT-SHA-256-UNIQ": "tls-unique",
		"HT-SHA-256-NONE": "",
	} {
		if got := htBinding(in); got != want {
			t.Errorf("htBinding(%q) = %q, want %q", in, got, want)
		}
	}
}
