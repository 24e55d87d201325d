package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/internal/tokensql"
	"github.com/xmppauth/xmppauth/internal/sqlstore"
	"github.com/xmppauth/xmppauth/internal/sqlstore/sqlitedb"
)

//go:embed migrations/*.sql
var files embed.FS

// migrations bring the schema up to date.
var migrations = sqlstore.Migrations{FS: files, Dir: "migrations",
	Table: "fast_migrations"}

// Store is a fast.Store in a SQLite database: its methods are those of
// the interface, with the costs listed in the package documentation. It
// is safe for concurrent use by goroutines, and by processes that open the
// same file.
type Store struct {
	*tokensql.Store
	owned *sql.DB // the database Open opened, for Close
}

var _ fast.Store = (*Store)(nil)

// Open opens or creates the SQLite database file at path, with the
// connection settings the store needs, and brings its schema up to date.
// The Store owns the database: Close closes it. path names a file; an
// in-memory database would be a different one on every connection.
func Open(path string) (*Store, error) {
	db, err := sqlitedb.Open(path, migrations)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	s := on(db)
	s.owned = db
	return s, nil
}

// New returns a Store on db, a database opened with the driver
// modernc.org/sqlite, after bringing its schema up to date. The host
// keeps db and closes it. It should open db as Open does, with at least
// a busy timeout, or concurrent writers fail with SQLITE_BUSY:
//
//	file:fast.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)
//	&_pragma=foreign_keys(1)&_txlock=immediate
func New(db *sql.DB) (*Store, error) {
	err := sqlitedb.Migrate(context.Background(), db, migrations)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	return on(db), nil
}

// on returns a Store on db, whose schema is up to date.
func on(db *sql.DB) *Store {
	return &Store{Store: tokensql.New(sqlstore.Std{DB: db}, "sqlitestore")}
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
