package pgstore_test

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/fasttest"
	"github.com/xmppauth/xmppauth/fast/pgstore"
	"github.com/xmppauth/xmppauth/internal/sqlstore/sqltest"
)

// open returns a Store in schema, on a pool of its own.
func open(t *testing.T, schema string) *pgstore.Store {
	t.Helper()
	return sqltest.OnPool(t, schema, pgstore.New)
}

func TestStore(t *testing.T) {
	fasttest.TestStore(t, func(t *testing.T) fast.Store {
		return open(t, sqltest.Schema(t, "fasttest_"))
	})
}

// TestTwoNodes gives each database two pools, as two nodes would have.
func TestTwoNodes(t *testing.T) {
	fasttest.TestShared(t, func(t *testing.T) []fast.Store {
		name := sqltest.Schema(t, "fasttest_")
		return []fast.Store{open(t, name), open(t, name)}
	})
}

// TestNodesStartTogether migrates one schema from eight pools at once.
func TestNodesStartTogether(t *testing.T) {
	name := sqltest.Schema(t, "fasttest_")
	pools := make([]*pgxpool.Pool, 8)
	for i := range pools {
		pools[i] = sqltest.Pool(t, name)
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

	s, err := pgstore.New(t.Context(), pools[0])
	if err != nil {
		t.Fatal(err)
	}
	tok := &fast.Token{ID: "a", User: "alice", ClientID: "phone"}
	if err := s.Issue(t.Context(), tok); err != nil {
		t.Fatalf("Issue = %v", err)
	}
}

func TestNewFailsWithoutTheDatabase(t *testing.T) {
	cfg := sqltest.Config(t)
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
