package sqlitestore_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/fasttest"
	"github.com/xmppauth/xmppauth/fast/sqlitestore"
)

// open returns a Store on a new database file that t cleans up.
func open(t *testing.T, path string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(path)
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

func TestStore(t *testing.T) {
	fasttest.TestStore(t, func(t *testing.T) fast.Store {
		return open(t, filepath.Join(t.TempDir(), "fast.db"))
	})
}

func TestNewOnTheHostsDatabase(t *testing.T) {
	fasttest.TestStore(t, func(t *testing.T) fast.Store {
		path := filepath.Join(t.TempDir(), "host.db")
		db, err := sql.Open("sqlite", path+
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s, err := sqlitestore.New(db)
		if err != nil {
			t.Fatalf("New = %v", err)
		}
		return s
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

func TestOpenFailsOnADirectory(t *testing.T) {
	s, err := sqlitestore.Open(t.TempDir())
	if err == nil {
		s.Close()
		t.Fatal("Open of a directory succeeded")
	}
}

func TestTimesKeepMicroseconds(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "fast.db"))
	at := time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.Local)
	tok := &fast.Token{ID: "a", User: "alice", ClientID: "phone",
		Issued: at, Expiry: time.Time{}}
	if err := s.Issue(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	_, next, err := s.Tokens(t.Context(), "alice", "phone")
	if err != nil {
		t.Fatal(err)
	}
	if want := at.Truncate(time.Microsecond).UTC(); next.Issued != want {
		t.Errorf("Issued = %v, want %v", next.Issued, want)
	}
	if !next.Expiry.IsZero() {
		t.Errorf("Expiry = %v, want the zero time", next.Expiry)
	}
}

// TestTwoHandlesRace opens the file twice, as two processes would, and
// races uses of one token through both.
func TestTwoHandlesRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fast.db")
	stores := []*sqlitestore.Store{open(t, path), open(t, path)}
	ctx := t.Context()
	tok := &fast.Token{ID: "a", User: "alice", ClientID: "phone"}
	if err := stores[0].Issue(ctx, tok); err != nil {
		t.Fatal(err)
	}

	const rounds, racers = 20, 32
	for round := int64(1); round <= rounds; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, errs := 0, []error(nil)
		start := make(chan struct{})
		for i := range racers {
			wg.Go(func() {
				<-start
				slot := fast.Current
				if round == 1 {
					slot = fast.New
				}
				err := stores[i%2].Use(ctx, "alice", "phone", slot, "a",
					round)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case !errors.Is(err, fast.ErrConflict):
					errs = append(errs, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if won != 1 || errs != nil {
			t.Fatalf("round %d: %d winners, errors %v", round, won, errs)
		}
	}

	err := stores[1].Use(ctx, "alice", "phone", fast.Current, "a", rounds)
	if !errors.Is(err, fast.ErrConflict) {
		t.Errorf("replay of count %d = %v, want ErrConflict", rounds, err)
	}
	cur, _, err := stores[0].Tokens(ctx, "alice", "phone")
	if err != nil || cur == nil || cur.Count != rounds {
		t.Errorf("Tokens = %v, %v, want count %d", cur, err, rounds)
	}
}
