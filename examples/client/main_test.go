package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	first, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	again, err := o.config()
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

func TestRunReportsAnUnreachableServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out bytes.Buffer
	args := []string{"-data", t.TempDir(), "-jid", "alice@localhost", "-addr", addr}
	if err := run(context.Background(), args, strings.NewReader("pw\n"), &out, &out); err == nil {
		t.Error("run succeeded without a server")
	}
}
