package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/fasttest"
	"github.com/xmppauth/xmppauth/fast/sqlitestore"
	"github.com/xmppauth/xmppauth/internal/sqlstore/sqltest"
)

// open returns a Store on the database file at path, which t closes.
func open(t *testing.T, path string) *sqlitestore.Store {
	t.Helper()
	return sqltest.Open(t, path, sqlitestore.Open)
}

func TestStore(t *testing.T) {
	fasttest.TestStore(t, func(t *testing.T) fast.Store {
		return open(t, filepath.Join(t.TempDir(), "fast.db"))
	})
}

func TestNewOnTheHostsDatabase(t *testing.T) {
	fasttest.TestStore(t, func(t *testing.T) fast.Store {
		return sqltest.OnHostDB(t, sqlitestore.New)
	})
}

func TestOpenAgainKeepsTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fast.db")
	tok := &fast.Token{ID: "a", User: "alice", ClientID: "phone",
		Sealed: []byte{1, 2}, Mechanism: "HT-SHA-256-NONE"}
	if err := open(t, path).Issue(t.Context(), tok); err != nil {
		t.Fatal(err)
	}

	_, next, err := open(t, path).Tokens(t.Context(), "alice", "phone")
	if err != nil || next == nil || next.ID != "a" {
		t.Fatalf("Tokens after a second Open = %v, %v", next, err)
	}
}

// TestProcessesStartTogether opens one new file eight times at once.
func TestProcessesStartTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fast.db")
	stores := make(chan *sqlitestore.Store, 8)
	for range cap(stores) {
		go func() {
			s, err := sqlitestore.Open(path)
			if err != nil {
				t.Errorf("Open = %v", err)
			}
			stores <- s
		}()
	}
	for range cap(stores) {
		if s := <-stores; s != nil {
			s.Close()
		}
	}

	tok := &fast.Token{ID: "a", User: "alice", ClientID: "phone"}
	if err := open(t, path).Issue(t.Context(), tok); err != nil {
		t.Fatalf("Issue = %v", err)
	}
}

func TestOpenFailsOnADirectory(t *testing.T) {
	s, err := sqlitestore.Open(t.TempDir())
	if err == nil {
		s.Close()
		t.Fatal("Open of a directory succeeded")
	}
}

// TestTwoHandles opens each database twice, as two processes would.
func TestTwoHandles(t *testing.T) {
	fasttest.TestShared(t, func(t *testing.T) []fast.Store {
		path := filepath.Join(t.TempDir(), "fast.db")
		return []fast.Store{open(t, path), open(t, path)}
	})
}
