package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/sasl2/scram"
)

// hashes are the SCRAM hashes that every account has credentials for, so
// that SCRAM-SHA-1, -256 and -512, with and without -PLUS, all work.
var hashes = []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA512}

// iterations is the PBKDF2 iteration count of new credentials. The server
// never runs PBKDF2 for SCRAM; the client pays it once per login.
const iterations = 10000

// store keeps accounts in an embedded SQLite database. Each account has
// SCRAM credentials for every hash in hashes and nothing else: no password,
// no SaltedPassword. It implements scram.Store and is safe for concurrent
// use.
type store struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS accounts (
	localpart TEXT PRIMARY KEY,
	created   INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS scram (
	localpart  TEXT NOT NULL REFERENCES accounts(localpart) ON DELETE CASCADE,
	hash       TEXT NOT NULL,
	salt       BLOB NOT NULL,
	iterations INTEGER NOT NULL,
	stored_key BLOB NOT NULL,
	server_key BLOB NOT NULL,
	PRIMARY KEY (localpart, hash)
) STRICT;
CREATE TABLE IF NOT EXISTS secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;
`

// maxDBConns bounds the database connections of the server, shared by the
// accounts and the FAST tokens.
const maxDBConns = 8

// openStore opens or creates dir/accounts.db in WAL mode, with a busy
// timeout so that adduser can run beside a live server. Transactions take
// the write lock when they begin, as fast/sqlitestore, which keeps the
// FAST tokens in the same database, asks of the connections it is given.
func openStore(dir string) (*store, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	dsn := "file:" + filepath.Join(dir, "accounts.db") + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("server: opening store: %w", err)
	}
	// A few connections serve any number of logins: SQLite writes one
	// at a time anyway, and a pool without a bound would open one, with
	// its file descriptors and page cache, per login in progress.
	db.SetMaxOpenConns(maxDBConns)
	db.SetMaxIdleConns(maxDBConns)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("server: creating store: %w", err)
	}
	return &store{db: db}, nil
}

func (s *store) Close() error { return s.db.Close() }

// Credentials implements scram.Store. Names are matched exactly against the
// normalized localparts that SetPassword stores, so the authenticated JID
// is always in normalized form; a spelling that normalizes differently is
// an unknown user.
func (s *store) Credentials(ctx context.Context, user string, h crypto.Hash) (scram.Credentials, error) {
	var c scram.Credentials
	err := s.db.QueryRowContext(ctx,
		`SELECT salt, iterations, stored_key, server_key FROM scram
		 WHERE localpart = ? AND hash = ?`, user, h.String(),
	).Scan(&c.Salt, &c.Iterations, &c.StoredKey, &c.ServerKey)
	if errors.Is(err, sql.ErrNoRows) {
		return c, scram.ErrUnknownUser
	}
	if err != nil {
		return c, fmt.Errorf("server: reading credentials: %w", err)
	}
	return c, nil
}

// Secret returns the server secret with the given name, drawing 32 random
// bytes on first use. Secrets key what must stay stable across restarts:
// the salts shown to unknown users, the Bind 2 resources.
func (s *store) Secret(ctx context.Context, name string) ([]byte, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh)
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO secrets (name, value) VALUES (?, ?)
		 ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, fmt.Errorf("server: storing secret: %w", err)
	}
	var v []byte
	err := s.db.QueryRowContext(ctx,
		`SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	if err != nil {
		return nil, fmt.Errorf("server: reading secret: %w", err)
	}
	return v, nil
}

// Exists reports whether the account exists.
func (s *store) Exists(ctx context.Context, localpart string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx,
		`SELECT count(*) FROM accounts WHERE localpart = ?`, localpart).Scan(&n)
	return n > 0, err
}

// SetPassword creates the account if needed and replaces its credentials
// with ones derived from password, in one transaction. The password itself
// is not kept.
func (s *store) SetPassword(ctx context.Context, localpart, password string) error {
	j, err := xmlstream.ParseJID(localpart + "@example")
	if err != nil || j.Local != localpart {
		return fmt.Errorf("server: %q is not a normalized localpart", localpart)
	}
	creds := make([]scram.Credentials, len(hashes))
	for i, h := range hashes {
		if creds[i], err = scram.NewCredentials(h, password, iterations, nil); err != nil {
			return err
		}
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO accounts (localpart, created) VALUES (?, ?)
		 ON CONFLICT (localpart) DO NOTHING`,
		localpart, time.Now().Unix()); err != nil {
		return err
	}
	for i, h := range hashes {
		c := creds[i]
		if _, err := tx.ExecContext(ctx,
			`INSERT OR REPLACE INTO scram
			 (localpart, hash, salt, iterations, stored_key, server_key)
			 VALUES (?, ?, ?, ?, ?, ?)`,
			localpart, h.String(), c.Salt, c.Iterations, c.StoredKey, c.ServerKey); err != nil {
			return err
		}
	}
	return tx.Commit()
}
