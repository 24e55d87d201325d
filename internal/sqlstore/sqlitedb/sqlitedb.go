// Package sqlitedb opens SQLite databases, through the pure-Go driver
// modernc.org/sqlite, ready for the stores' concurrent use, and migrates
// them.
package sqlitedb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/xmppauth/xmppauth/internal/sqlstore"
)

// BusyTimeout is how long a connection waits for another's lock before
// it fails with SQLITE_BUSY.
const BusyTimeout = 10 * time.Second

// Params configure every connection Open makes: wait for locks instead
// of failing at once, let readers run beside the writer, and take the
// write lock when a transaction begins, so that it never has to upgrade a
// read lock and fail halfway.
var Params = fmt.Sprintf("_pragma=busy_timeout(%d)",
	BusyTimeout.Milliseconds()) +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)" +
	"&_txlock=immediate"

// Open opens or creates the SQLite database file at path with Params,
// makes its first connection and runs m. path names a file; an
// in-memory database would be a different one on every connection.
func Open(path string, m sqlstore.Migrations) (*sql.DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + Params
	db, err := sql.Open("sqlite", dsn)
	if err == nil {
		err = connect(db)
	}
	if err == nil {
		err = Migrate(context.Background(), db, m)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, err
	}
	return db, nil
}

// connect makes the first connection to db. On a new file it switches
// the journal to WAL, and SQLite fails that at once, without waiting, when
// another process is opening the file too; so connect tries again for as
// long as busy_timeout would have waited.
func connect(db *sql.DB) error {
	deadline := time.Now().Add(BusyTimeout)
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

// Migrate runs m on one connection of db holding the write lock, so that
// processes opening the database together migrate it once.
func Migrate(ctx context.Context, db *sql.DB, m sqlstore.Migrations) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}

	err = m.Run(ctx, sqlstore.Std{DB: c})
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
