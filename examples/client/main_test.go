package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/mfa"
)

func TestRunRefusesBadUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no JID", nil},
		{"a full JID", []string{"-jid", "alice@localhost/phone"}},
		{"a message without a recipient", []string{"-jid", "alice@localhost", "-message", "hi"}},
		{"a recipient without a message", []string{"-jid", "alice@localhost", "-to", "bob@localhost"}},
		{"a stray argument", []string{"-jid", "alice@localhost", "extra"}},
		{"an unknown HT mechanism", []string{"-jid", "alice@localhost", "-fast-mechanism", "HT-MD5-NONE"}},
		{"a logout that would stay online", []string{"-jid", "alice@localhost", "-logout", "-listen"}},
		{"a logout that would enrol", []string{"-jid", "alice@localhost", "-logout", "-enrol-totp"}},
		{"the removal of an unknown factor", []string{"-jid", "alice@localhost", "-remove", "password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-data", t.TempDir()}, tc.args...)
			var out bytes.Buffer
			err := run(context.Background(), args, strings.NewReader("pw\n"), &out, &out)
			var u usageError
			if !errors.As(err, &u) {
				t.Errorf("err = %v, want a usage error", err)
			}
		})
	}
}

func TestRunNeedsAPassword(t *testing.T) {
	var out bytes.Buffer
	args := []string{"-data", t.TempDir(), "-jid", "alice@localhost", "-addr", "127.0.0.1:1"}
	err := run(context.Background(), args, strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "no password") {
		t.Errorf("err = %v, want no password", err)
	}
}

func TestUserAgentIDIsKeptInDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "client")
	o := &options{jid: "alice@localhost", data: dir}
	first, _, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	if first.UserAgent.ID != again.UserAgent.ID {
		t.Errorf("user-agent id changed: %s, then %s", first.UserAgent.ID, again.UserAgent.ID)
	}
	if id, ok := first.UserAgent.ClientID(); !ok || id[14] != '4' {
		t.Errorf("user-agent id %q is not a UUIDv4", first.UserAgent.ID)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v", err)
	}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRunReportsAnUnreachableServer(t *testing.T) {
	var out bytes.Buffer
	args := []string{"-data", t.TempDir(), "-jid", "alice@localhost", "-addr", closedAddr(t)}
	if err := run(context.Background(), args, strings.NewReader("pw\n"), &out, &out); err == nil {
		t.Error("run succeeded without a server")
	}
}

// unread is standard input that must not be read.
type unread struct{ t *testing.T }

func (u unread) Read([]byte) (int, error) {
	u.t.Error("standard input was read")
	return 0, io.EOF
}

// keepToken gives the installation in dir a FAST token for alice.
func keepToken(t *testing.T, dir string) {
	t.Helper()
	o := &options{jid: "alice@localhost", data: dir}
	cfg, keeper, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	err = keeper.Save("alice@localhost", cfg.UserAgent.ID, fast.Kept{Current: &fast.ClientToken{
		Token: "secret-token:fast-kept", Mechanism: "HT-SHA-256-EXPR",
		Expiry: time.Now().Add(time.Hour),
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunWithATokenReadsNoPassword(t *testing.T) {
	dir := t.TempDir()
	keepToken(t, dir)
	var out bytes.Buffer
	args := []string{"-data", dir, "-jid", "alice@localhost", "-addr", closedAddr(t)}
	if err := run(context.Background(), args, unread{t}, &out, &out); err == nil {
		t.Error("run succeeded without a server")
	}
}

func TestRunLogoutWithoutATokenDoesNothing(t *testing.T) {
	var out bytes.Buffer
	args := []string{"-data", t.TempDir(), "-jid", "alice@localhost", "-addr", "127.0.0.1:1", "-logout"}
	if err := run(context.Background(), args, unread{t}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nothing to invalidate") {
		t.Errorf("output %q", out.String())
	}
}

// answer starts the task the server picks among offered, as a login
// would, and returns the code it sends.
func answer(t *testing.T, o *options, in *input, offered ...string) (string, string) {
	t.Helper()
	for _, task := range o.tasks(in) {
		if !slices.Contains(offered, task.Name()) {
			continue
		}
		payload, err := task.Start(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return task.Name(), payload[0].Text
	}
	t.Fatalf("no task among %q", offered)
	return "", ""
}

func TestTheCodeIsTheLineAfterThePassword(t *testing.T) {
	in := newInput(strings.NewReader("pw\n123456\nRECOVERY\n"), io.Discard)
	if pw, err := in.Password(); pw != "pw" || err != nil {
		t.Fatalf("password %q, %v", pw, err)
	}
	o := &options{}
	if task, code := answer(t, o, in, mfa.TaskTOTP, mfa.TaskRecovery); task != mfa.TaskTOTP || code != "123456" {
		t.Errorf("answered %s with %q, want MFA-TOTP with the second line", task, code)
	}
	if task, code := answer(t, o, in, mfa.TaskRecovery); task != mfa.TaskRecovery || code != "RECOVERY" {
		t.Errorf("answered %s with %q, want MFA-RECOVERY with the next line", task, code)
	}
}

func TestARecoveryCodeIsTheOnlyAnswer(t *testing.T) {
	o := &options{recovery: "7GQK-M2XP-4RVA-H9TC"}
	in := newInput(unread{t}, io.Discard)
	if task, code := answer(t, o, in, mfa.TaskTOTP, mfa.TaskRecovery); task != mfa.TaskRecovery || code != o.recovery {
		t.Errorf("answered %s with %q, want the recovery code", task, code)
	}
	if len(o.tasks(in)) != 1 {
		t.Error("with -recovery the client still answers TOTP")
	}
}

// A token login reads no password, but the first line is still the
// password: a code asked for after it, to enrol say, is the second.
func TestACodeAfterATokenLoginIsNotThePassword(t *testing.T) {
	in := newInput(strings.NewReader("pw\n123456\n"), io.Discard)
	if code, err := in.Ask(askTOTP); code != "123456" || err != nil {
		t.Errorf("Ask() = %q, %v; want the second line", code, err)
	}
	if pw, _ := in.Password(); pw != "pw" {
		t.Errorf("then the password is %q", pw)
	}
}
