package pgstore_test

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/fasttest"
	"github.com/xmppauth/xmppauth/fast/pgstore"
	"github.com/xmppauth/xmppauth/internal/sqlstore/pgtest"
)

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
		return open(t, pgtest.Pool(t, pgtest.Schema(t, "fasttest_")))
	})
}

// TestTwoNodes gives each database two pools, as two nodes would have.
func TestTwoNodes(t *testing.T) {
	fasttest.TestShared(t, func(t *testing.T) []fast.Store {
		name := pgtest.Schema(t, "fasttest_")
		return []fast.Store{open(t, pgtest.Pool(t, name)),
			open(t, pgtest.Pool(t, name))}
	})
}

// TestNodesStartTogether migrates one schema from eight pools at once.
func TestNodesStartTogether(t *testing.T) {
	name := pgtest.Schema(t, "fasttest_")
	pools := make([]*pgxpool.Pool, 8)
	for i := range pools {
		pools[i] = pgtest.Pool(t, name)
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
	cfg := pgtest.Config(t)
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
