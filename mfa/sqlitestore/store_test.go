package sqlitestore_test

import (
	"path/filepath"
	"testing"

	fastsqlite "github.com/xmppauth/xmppauth/fast/sqlitestore"
	"github.com/xmppauth/xmppauth/internal/sqlstore/sqltest"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/internal/storetest"
	"github.com/xmppauth/xmppauth/mfa/sqlitestore"
)

// open returns a Store on the database file at path, which t closes.
func open(t *testing.T, path string) *sqlitestore.Store {
	t.Helper()
	return sqltest.Open(t, path, sqlitestore.Open)
}

// newFile returns the path of a new database file that t removes.
func newFile(t *testing.T) string {
	return filepath.Join(t.TempDir(), "mfa.db")
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, newFile(t))
	})
}

func TestNewOnTheHostsDatabase(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return sqltest.OnHostDB(t, sqlitestore.New)
	})
}

// TestTwoHandles opens each database twice, as two processes would.
func TestTwoHandles(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) []storetest.Store {
		path := newFile(t)
		return []storetest.Store{open(t, path), open(t, path)}
	})
}

// TestTwoHandlesRace races two handles on one file for each proof.
func TestTwoHandlesRace(t *testing.T) {
	path := newFile(t)
	storetest.Races(t, open(t, path), open(t, path), 20)
}

func TestOpenAgainKeepsEnrolments(t *testing.T) {
	path := newFile(t)
	r := &mfa.TOTPRecord{Account: "alice", ID: "a", Sealed: []byte{1, 2},
		Digits: 6}
	if err := open(t, path).PutTOTP(t.Context(), r); err != nil {
		t.Fatal(err)
	}

	got, err := open(t, path).TOTP(t.Context(), "alice")
	if err != nil || got.ID != "a" {
		t.Fatalf("TOTP after a second Open = %v, %v", got, err)
	}
}

// TestBesideFAST keeps FAST tokens and second factors in one file, each
// store with its own migrations.
func TestBesideFAST(t *testing.T) {
	path := newFile(t)
	open(t, path)
	sqltest.Open(t, path, fastsqlite.Open)
	r := &mfa.TOTPRecord{Account: "alice", ID: "a", Digits: 6}
	if err := open(t, path).PutTOTP(t.Context(), r); err != nil {
		t.Fatal(err)
	}
}
