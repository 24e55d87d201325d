// Package pgtest gives the tests of the PostgreSQL stores a schema of
// their own on the test server: XMPPAUTH_POSTGRES, or the local one.
// Every machine that runs the tests has one, so a test that cannot reach
// it fails rather than skips. Failures never show the DSN, which may
// hold a password.
package pgtest

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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

// Pool returns a pool whose tables go in schema, which t closes. Call it
// on the test's goroutine.
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
