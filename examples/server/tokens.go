package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/sqlitestore"
)

// fastKeyFile is the name of the FAST sealing key in the data directory.
const fastKeyFile = "fast.key"

// fastKey returns the key that seals FAST tokens at rest, drawing 32
// random bytes into dir/fast.key, readable by its owner only, on first
// use. It lives beside the database, not in it: a copy of the database
// alone opens no token.
func fastKey(dir string) ([]byte, error) {
	return keyFile(dir, fastKeyFile, "every token is then refused")
}

// keyFile returns the 32-byte key in dir/name, drawing it on first use
// into a file readable by its owner only. lost says what a new key
// costs, for the error about a damaged file.
func keyFile(dir, name, lost string) ([]byte, error) {
	path := filepath.Join(dir, name)
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("server: %s is not a 32-byte key; remove it to make a new one (%s)", path, lost)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, 32)
	rand.Read(key)
	// Written whole to a temporary file, then linked into place, which
	// fails if the key exists: of two processes starting on a new
	// directory, one makes the key and the other reads it, never half.
	f, err := os.CreateTemp(dir, "."+name+".*") // mode 0600
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(key)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(f.Name(), path)
	}
	if errors.Is(err, fs.ErrExist) {
		return keyFile(dir, name, lost)
	}
	if err != nil {
		return nil, fmt.Errorf("server: writing %s: %w", path, err)
	}
	return key, nil
}

// newTokens returns FAST for the server: tokens in the accounts database,
// in the tables of fast/sqlitestore, sealed with the key in dir. A nil log
// logs nothing.
func newTokens(dir string, st *store, log *slog.Logger) (*fast.Server, error) {
	key, err := fastKey(dir)
	if err != nil {
		return nil, err
	}
	sealer, err := fast.NewAESGCM(key)
	if err != nil {
		return nil, err
	}
	tokens, err := sqlitestore.New(st.db)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	cfg := fast.Config{Store: tokens, Sealer: sealer}
	if log != nil {
		cfg.Audit = func(e fast.Event) { auditToken(log, e) }
	}
	return fast.NewServer(cfg)
}

// auditToken logs the server's token bookkeeping. Events carry no token;
// the client id is logged as a short hash, as logins are.
func auditToken(log *slog.Logger, e fast.Event) {
	msg := map[fast.EventKind]string{
		fast.EventIssued:      "fast token issued",
		fast.EventRotated:     "fast token rotated",
		fast.EventInvalidated: "fast token invalidated",
		fast.EventRevoked:     "fast tokens revoked",
	}[e.Kind]
	attrs := []any{"user", e.User}
	if e.ClientID != "" {
		attrs = append(attrs, "client", clientHash(e.ClientID), "mechanism", e.Mechanism)
	}
	if !e.Expiry.IsZero() {
		attrs = append(attrs, "expiry", e.Expiry.Format("2006-01-02T15:04:05Z"))
	}
	log.Info(msg, attrs...)
}

// clientHash returns a short hash of a user-agent id for the logs: the id
// identifies an installation, and the server never shows it to others.
func clientHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:4])
}
