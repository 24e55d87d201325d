// Package sqltest gives the tests of the SQL stores a store of their
// own: on a new SQLite file, or in a new schema on the PostgreSQL test
// server, XMPPAUTH_POSTGRES or the local one. Every machine that runs
// the tests has that server, so a test that cannot reach it fails rather
// than skips. Failures never show the DSN, which may hold a password.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // for OnHostDB
)

// DSN names the test database: XMPPAUTH_POSTGRES, or the local server.
func DSN() string {
	if v := os.Getenv("XMPPAUTH_POSTGRES"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Config returns the parsed DSN.
func Config(t testing.TB) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(DSN())
	if err != nil {
		t.Fatalf("XMPPAUTH_POSTGRES: %v", err)
	}
	return cfg
}

// Schema creates a schema whose name is prefix and random letters, which
// t drops when it ends.
func Schema(t testing.TB, prefix string) string {
	t.Helper()
	name := prefix + strings.ToLower(rand.Text())
	exec(t, t.Context(), "CREATE SCHEMA "+name)
	t.Cleanup(func() {
		exec(t, context.Background(), "DROP SCHEMA "+name+" CASCADE")
	})
	return name
}

// exec runs one statement on a connection of its own.
func exec(t testing.TB, ctx context.Context, sql string) {
	t.Helper()
	c, err := pgx.Connect(ctx, DSN())
	if err != nil {
		t.Fatalf("PostgreSQL (XMPPAUTH_POSTGRES, or the local server): %v",
			err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Pool returns a pool whose tables go in schema, which t closes. Call it,
// and OnPool, on the test's goroutine.
func Pool(t testing.TB, schema string) *pgxpool.Pool {
	t.Helper()
	cfg := Config(t)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	p, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// OnPool returns the store that newStore makes on a new pool whose tables
// go in schema, and fails t if it cannot.
func OnPool[S any](t testing.TB, schema string,
	newStore func(context.Context, *pgxpool.Pool) (S, error)) S {
	t.Helper()
	s, err := newStore(t.Context(), Pool(t, schema))
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	return s
}

// Open returns the store that open makes of the file at path, which t
// closes, and fails t if it cannot.
func Open[S interface{ Close() error }](t testing.TB, path string,
	open func(path string) (S, error)) S {
	t.Helper()
	s, err := open(path)
	if err != nil {
		t.Fatalf("Open(%q) = %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
	return s
}

// OnHostDB returns the store that newStore makes on a new SQLite file
// opened as a host might open it, with a busy timeout and write-ahead
// log but none of the store's other settings, and fails t if it cannot.
// t closes the database.
func OnHostDB[S any](t testing.TB, newStore func(*sql.DB) (S, error)) S {
	t.Helper()
	path := filepath.Join(t.TempDir(), "host.db")
	db, err := sql.Open("sqlite", path+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := newStore(db)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	return s
}
