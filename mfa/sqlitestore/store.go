package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/xmppauth/xmppauth/internal/sqlstore"
	"github.com/xmppauth/xmppauth/internal/sqlstore/sqlitedb"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/internal/mfasql"
)

//go:embed migrations/*.sql
var files embed.FS

// migrations bring the schema up to date.
var migrations = sqlstore.Migrations{FS: files, Dir: "migrations",
	Table: "mfa_migrations"}

// Store is an mfa.TOTPStore, mfa.RecoveryStore and mfa.WebAuthnStore in a
// SQLite database: its methods are those of the three interfaces, with
// the costs listed in the package documentation. It is safe for
// concurrent use by goroutines, and by processes that open the same file.
type Store struct {
	*mfasql.Store
	owned *sql.DB // the database Open opened, for Close
}

// Interface checks.
var (
	_ mfa.TOTPStore     = (*Store)(nil)
	_ mfa.RecoveryStore = (*Store)(nil)
	_ mfa.WebAuthnStore = (*Store)(nil)
)

// Open opens or creates the SQLite database file at path, ready for
// concurrent use, and brings its schema up to date. The Store owns the
// database: Close closes it. path names a file, which may hold the FAST
// tokens of fast/sqlitestore too; an in-memory database would be a
// different one on every connection.
func Open(path string) (*Store, error) {
	db, err := sqlitedb.Open(path, migrations)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	return &Store{Store: on(db), owned: db}, nil
}

// New returns a Store on db, a database that the host opened with the
// driver modernc.org/sqlite and keeps, after bringing its schema up to
// date. The host should open db with at least a busy timeout, or
// concurrent writers fail with SQLITE_BUSY; Open uses
//
//	file:mfa.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)
//	&_pragma=foreign_keys(1)&_txlock=immediate
func New(db *sql.DB) (*Store, error) {
	err := sqlitedb.Migrate(context.Background(), db, migrations)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	return &Store{Store: on(db)}, nil
}

// on returns the shared store on db.
func on(db *sql.DB) *mfasql.Store {
	return mfasql.New(sqlstore.Std{DB: db}, "sqlitestore")
}

// Close closes the database if Open opened it. On a Store from New it
// does nothing.
func (s *Store) Close() error {
	if s.owned == nil {
		return nil
	}
	if err := s.owned.Close(); err != nil {
		return fmt.Errorf("sqlitestore: close: %w", err)
	}
	return nil
}
