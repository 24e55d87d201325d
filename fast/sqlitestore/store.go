package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"time"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/internal/tokensql"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a fast.Store in a SQLite database. It is safe for concurrent
// use by goroutines, and by processes that open the same file.
type Store struct {
	tokens *tokensql.Store
	owned  *sql.DB // the database Open opened, for Close
}

var _ fast.Store = (*Store)(nil)

// busyTimeout is how long a connection waits for another's lock before
// it fails with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// params configure every connection Open makes: wait for locks instead
// of failing at once, let readers run beside the writer, and take the
// write lock when a transaction begins, so that it never has to upgrade a
// read lock and fail halfway.
var params = fmt.Sprintf("_pragma=busy_timeout(%d)",
	busyTimeout.Milliseconds()) +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)" +
	"&_txlock=immediate"

// Open opens or creates the SQLite database file at path, with the
// connection settings the store needs, and brings its schema up to date.
// The Store owns the database: Close closes it. path names a file; an
// in-memory database would be a different one on every connection.
func Open(path string) (*Store, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	if err := connect(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	s, err := New(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = db
	return s, nil
}

// connect makes the first connection to db. On a new file it switches
// the journal to WAL, and SQLite fails that at once, without waiting, when
// another process is opening the file too; so connect tries again for as
// long as busy_timeout would have waited.
func connect(db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	pause := time.Millisecond
	for {
		err := db.Ping()
		var e *sqlite.Error
		if !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY ||
			time.Now().After(deadline) {
			return err
		}
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// New returns a Store on db, a database opened with the driver
// modernc.org/sqlite, after bringing its schema up to date. The host
// keeps db and closes it. It should open db as Open does, with at least
// a busy timeout, or concurrent writers fail with SQLITE_BUSY:
//
//	file:fast.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)
//	&_pragma=foreign_keys(1)&_txlock=immediate
func New(db *sql.DB) (*Store, error) {
	if err := migrate(context.Background(), db); err != nil {
		return nil, fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	return &Store{tokens: tokensql.New(conn{db}, "sqlitestore")}, nil
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

// Tokens implements fast.Store with one SELECT.
func (s *Store) Tokens(ctx context.Context, user, clientID string) (
	current, next *fast.Token, err error) {
	return s.tokens.Tokens(ctx, user, clientID)
}

// Issue implements fast.Store with one upsert. t.ID must not be empty.
func (s *Store) Issue(ctx context.Context, t *fast.Token) error {
	return s.tokens.Issue(ctx, t)
}

// Use implements fast.Store with one UPDATE, or one SELECT when slot is
// Current and count is not above zero.
func (s *Store) Use(ctx context.Context, user, clientID string,
	slot fast.Slot, id string, count int64) error {
	return s.tokens.Use(ctx, user, clientID, slot, id, count)
}

// Invalidate implements fast.Store with one UPDATE.
func (s *Store) Invalidate(ctx context.Context, user, clientID,
	id string) error {
	return s.tokens.Invalidate(ctx, user, clientID, id)
}

// Revoke implements fast.Store with one UPDATE.
func (s *Store) Revoke(ctx context.Context, user string) error {
	return s.tokens.Revoke(ctx, user)
}

// migrate runs the migrations on one connection holding the write lock,
// so that processes opening the database together migrate it once.
func migrate(ctx context.Context, db *sql.DB) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}

	fsys, err := fs.Sub(migrations, "migrations")
	if err == nil {
		err = tokensql.Migrate(ctx, conn{c}, fsys)
	}
	if err == nil {
		_, err = c.ExecContext(ctx, "COMMIT")
	}
	if err != nil {
		rollback(c)
	}
	return err
}

// rollback ends the transaction on c, or, failing that, makes database/sql
// discard c rather than lend it out with the transaction open.
func rollback(c *sql.Conn) {
	_, err := c.ExecContext(context.Background(), "ROLLBACK")
	if err != nil {
		c.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// conn runs the shared statements on a *sql.DB or *sql.Conn.
type conn struct {
	db interface {
		ExecContext(ctx context.Context, query string,
			args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string,
			args ...any) *sql.Row
	}
}

func (c conn) Exec(ctx context.Context, query string, args ...any) (
	int64, error) {
	res, err := c.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c conn) QueryRow(ctx context.Context, query string,
	args ...any) tokensql.Row {
	return c.db.QueryRowContext(ctx, query, args...)
}
