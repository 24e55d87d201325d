package mfasql

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/xmppauth/xmppauth/internal/sqlstore"
	"github.com/xmppauth/xmppauth/mfa"
)

// Store is an mfa.TOTPStore, mfa.RecoveryStore and mfa.WebAuthnStore on
// a sqlstore.DB. It is safe for concurrent use when its DB is.
type Store struct {
	db   sqlstore.DB
	name string // starts every error message
}

// New returns a Store on db, whose schema is up to date. Its errors start
// with name.
func New(db sqlstore.DB, name string) *Store {
	return &Store{db: db, name: name}
}

// errorf returns an error that starts with the store's name.
func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf(s.name+": "+format, args...)
}

// changed turns the outcome of a statement meant to change one row into
// the error that op returns: none when it changed no row.
func (s *Store) changed(op string, n int64, err error, none error) error {
	switch {
	case err != nil:
		return s.errorf("%s: %w", op, err)
	case n == 0:
		return none
	}
	return nil
}

// missing returns the error of op, a compare-and-set that changed
// nothing: mfa.ErrNotFound when row, a count of the rows op was meant
// for, counts none, and mfa.ErrConflict otherwise.
func (s *Store) missing(row sqlstore.Row, op string) error {
	var n int
	if err := row.Scan(&n); err != nil {
		return s.errorf("%s: %w", op, err)
	}
	if n == 0 {
		return mfa.ErrNotFound
	}
	return mfa.ErrConflict
}

// noRow reports whether err says that a query found no row.
func noRow(err error) bool { return errors.Is(err, sql.ErrNoRows) }
