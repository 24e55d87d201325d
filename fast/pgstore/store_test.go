package pgstore_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/fasttest"
	"github.com/xmppauth/xmppauth/fast/pgstore"
)

// dsn names the test database: XMPPAUTH_POSTGRES, or the local server.
// Every machine that runs the tests has one, so a test that cannot reach
// it fails rather than skips.
func dsn() string {
	if v := os.Getenv("XMPPAUTH_POSTGRES"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// schema creates a schema with a random name, which t drops when it ends.
func schema(t *testing.T) string {
	t.Helper()
	name := "fasttest_" + strings.ToLower(rand.Text())
	exec(t, t.Context(), "CREATE SCHEMA "+name)
	t.Cleanup(func() {
		exec(t, context.Background(), "DROP SCHEMA "+name+" CASCADE")
	})
	return name
}

// exec runs one statement on a connection of its own.
func exec(t *testing.T, ctx context.Context, sql string) {
	t.Helper()
	c, err := pgx.Connect(ctx, dsn())
	if err != nil {
		t.Fatalf("PostgreSQL (XMPPAUTH_POSTGRES, or the local server): %v",
			err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// pool returns a pool whose tables go in schema, which t closes.
func pool(t *testing.T, schema string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn())
	if err != nil {
		t.Fatalf("XMPPAUTH_POSTGRES: %v", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	p, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// open returns a Store on p.
func open(t *testing.T, p *pgxpool.Pool) *pgstore.Store {
	t.Helper()
	s, err := pgstore.New(t.Context(), p)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	fasttest.TestStore(t, func(t *testing.T) fast.Store {
		return open(t, pool(t, schema(t)))
	})
}

// TestTwoNodes gives each database two pools, as two nodes would have.
func TestTwoNodes(t *testing.T) {
	fasttest.TestShared(t, func(t *testing.T) []fast.Store {
		name := schema(t)
		return []fast.Store{open(t, pool(t, name)), open(t, pool(t, name))}
	})
}

// TestNodesStartTogether migrates one schema from eight pools at once.
func TestNodesStartTogether(t *testing.T) {
	name := schema(t)
	pools := make([]*pgxpool.Pool, 8)
	for i := range pools {
		pools[i] = pool(t, name)
	}
	errs := make(chan error, len(pools))
	for _, p := range pools {
		go func() {
			_, err := pgstore.New(t.Context(), p)
			errs <- err
		}()
	}
	for range pools {
		if err := <-errs; err != nil {
			t.Errorf("New = %v", err)
		}
	}

	s := open(t, pools[0])
	tok := &fast.Token{ID: "a", User: "alice", ClientID: "phone"}
	if err := s.Issue(t.Context(), tok); err != nil {
		t.Fatalf("Issue = %v", err)
	}
}

func TestNewFailsWithoutTheDatabase(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(dsn())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Database = "no_such_database_" +
		strings.ToLower(rand.Text())
	p, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = pgstore.New(t.Context(), p)
	if err == nil || !strings.HasPrefix(err.Error(), "pgstore: ") {
		t.Errorf("New = %v, want an error from pgstore", err)
	}
}
