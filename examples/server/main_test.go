package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
)

func TestAddUserStoresCredentialsOnly(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out bytes.Buffer
	args := []string{"-data", dir, "adduser", "Carol@localhost"}
	if err := run(ctx, args, strings.NewReader("s3cret pass\n"), &out, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "added carol@localhost\n" {
		t.Errorf("output = %q", got)
	}

	// Flags may follow the subcommand; a second run changes the password.
	out.Reset()
	args = []string{"adduser", "carol@localhost", "-data", dir}
	if err := run(ctx, args, strings.NewReader("another pass\r\n"), &out, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "changed the password of carol@localhost and revoked its FAST tokens\n" {
		t.Errorf("output = %q", got)
	}

	// Nothing in the data directory holds the password.
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte("another pass")) || bytes.Contains(b, []byte("s3cret pass")) {
			t.Errorf("%s holds a password", f)
		}
	}
}

func TestAddUserRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, jid, stdin string
	}{
		{"an account on another domain", "dave@example.org", "pw\n"},
		{"a full JID", "dave@localhost/phone", "pw\n"},
		{"an empty password", "dave@localhost", "\n"},
		{"no password at all", "dave@localhost", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			args := []string{"-data", t.TempDir(), "adduser", tc.jid}
			if err := run(context.Background(), args, strings.NewReader(tc.stdin), &out, &out); err == nil {
				t.Errorf("adduser %s succeeded: %s", tc.jid, out.String())
			}
		})
	}
}

func TestPasswdChangesOnlyExistingAccounts(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out bytes.Buffer
	err := run(ctx, []string{"-data", dir, "passwd", "erin@localhost"}, strings.NewReader("pw\n"), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "no account") {
		t.Errorf("passwd of an unknown account: %v", err)
	}
	run(ctx, []string{"-data", dir, "adduser", "erin@localhost"}, strings.NewReader("pw\n"), &out, &out)
	out.Reset()
	if err := run(ctx, []string{"-data", dir, "passwd", "erin@localhost"}, strings.NewReader("pw2\n"), &out, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "changed the password of erin@localhost and revoked its FAST tokens\n" {
		t.Errorf("output = %q", got)
	}
}

func TestDemoPrintsAWorkingPassword(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		args := []string{"-demo", "-data", dir, "-addr", "127.0.0.1:0", "-tls-addr", "127.0.0.1:0"}
		done <- run(ctx, args, strings.NewReader(""), w, stderr)
		w.Close()
	}()

	// The demo banner names the password and the address to use; it is
	// read as the server writes it.
	re := regexp.MustCompile(`password for this run: (\S+)[\s\S]*-addr (\S+)`)
	banner := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			stdout.Write(append(sc.Bytes(), '\n'))
			if m := re.FindStringSubmatch(stdout.String()); m != nil && !sent {
				banner <- m
				sent = true
			}
		}
	}()
	var m []string
	select {
	case m = <-banner:
	case <-time.After(10 * time.Second):
		t.Fatalf("no demo banner; stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if !strings.Contains(stderr.String(), filepath.Join(dir, "cert.pem")) {
		t.Errorf("the log does not name the certificate:\n%s", stderr)
	}

	pem, _ := os.ReadFile(filepath.Join(dir, "cert.pem"))
	ts := &testServer{t: t, plain: m[2]}
	ts.roots = poolOf(t, pem)
	s := ts.login(ts.config("demo"), m[1])
	if s.JID().Bare() != (xmlstream.JID{Local: "demo", Domain: "localhost"}) {
		t.Errorf("bound %s", s.JID())
	}
	s.Close()

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if strings.Contains(stderr.String(), m[1]) {
		t.Errorf("the log holds the demo password")
	}
	// The key is for the server's eyes only.
	if fi, err := os.Stat(filepath.Join(dir, "key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key.pem: %v, mode %v", err, fi.Mode())
	}
}
