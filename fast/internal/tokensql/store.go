package tokensql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/internal/sqlstore"
)

// Store is a fast.Store on a sqlstore.DB. It is safe for concurrent use
// when its DB is.
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

// Tokens implements fast.Store.Tokens with one SELECT.
func (s *Store) Tokens(ctx context.Context, user, clientID string) (
	current, next *fast.Token, err error) {
	var cur, nxt scanned
	dest := append(cur.dest(), nxt.dest()...)
	err = s.db.QueryRow(ctx, selectTokens, user, clientID).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fast.ErrNotFound
	}
	if err != nil {
		return nil, nil, s.errorf("tokens: %w", err)
	}

	if current, err = cur.token(user, clientID); err != nil {
		return nil, nil, s.errorf("tokens: current: %w", err)
	}
	if next, err = nxt.token(user, clientID); err != nil {
		return nil, nil, s.errorf("tokens: new: %w", err)
	}
	return current, next, nil
}

// Issue implements fast.Store.Issue with one upsert.
func (s *Store) Issue(ctx context.Context, t *fast.Token) error {
	if t == nil || t.ID == "" {
		return s.errorf("issue: token has no id")
	}
	factors, err := json.Marshal(t.Factors)
	if err != nil {
		return s.errorf("issue: factors: %w", err)
	}

	_, err = s.db.Exec(ctx, issue, t.User, t.ClientID,
		t.ID, t.Sealed, t.Mechanism, t.Issued.UnixMicro(),
		t.Expiry.UnixMicro(), t.Count, string(factors))
	if err != nil {
		return s.errorf("issue: %w", err)
	}
	return nil
}

// Use implements fast.Store.Use with one UPDATE, or with one SELECT when
// slot is Current and count is not above zero, since that changes nothing.
func (s *Store) Use(ctx context.Context, user, clientID string,
	slot fast.Slot, id string, count int64) error {
	var n int64
	var err error
	switch {
	case slot == fast.Current && count > 0:
		n, err = s.db.Exec(ctx, useCurrent, user, clientID, id, count)
	case slot == fast.Current:
		err = s.db.QueryRow(ctx, checkCurrent, user, clientID, id).Scan(&n)
	case slot == fast.New && count > 0:
		n, err = s.db.Exec(ctx, promoteCount, user, clientID, id, count)
	case slot == fast.New:
		n, err = s.db.Exec(ctx, promote, user, clientID, id)
	default:
		return s.errorf("use: no slot %d", int(slot))
	}
	return s.changed("use", n, err)
}

// Invalidate implements fast.Store.Invalidate with one UPDATE.
func (s *Store) Invalidate(ctx context.Context, user, clientID,
	id string) error {
	n, err := s.db.Exec(ctx, invalidate, user, clientID, id)
	return s.changed("invalidate", n, err)
}

// Revoke implements fast.Store.Revoke with one UPDATE.
func (s *Store) Revoke(ctx context.Context, user string) error {
	if _, err := s.db.Exec(ctx, revoke, user); err != nil {
		return s.errorf("revoke: %w", err)
	}
	return nil
}

// changed turns the outcome of a compare-and-set on one row into the
// error that op returns: fast.ErrConflict when it changed no row.
func (s *Store) changed(op string, n int64, err error) error {
	switch {
	case err != nil:
		return s.errorf("%s: %w", op, err)
	case n == 0:
		return fast.ErrConflict
	}
	return nil
}

// scanned holds one slot's columns as scanned; every field is nil when
// the slot is empty.
type scanned struct {
	id, mechanism, factors *string
	issued, expiry, count  *int64
	sealed                 []byte
}

// dest returns the scan destinations in the order of fields.
func (c *scanned) dest() []any {
	return []any{&c.id, &c.sealed, &c.mechanism, &c.issued, &c.expiry,
		&c.count, &c.factors}
}

// token returns the slot's token, or nil when the slot is empty.
func (c *scanned) token(user, clientID string) (*fast.Token, error) {
	if c.id == nil {
		return nil, nil
	}
	if c.mechanism == nil || c.issued == nil || c.expiry == nil ||
		c.count == nil || c.factors == nil {
		return nil, errors.New("slot has an id and NULL fields")
	}

	t := &fast.Token{
		ID:        *c.id,
		User:      user,
		ClientID:  clientID,
		Sealed:    c.sealed,
		Mechanism: *c.mechanism,
		Issued:    time.UnixMicro(*c.issued).UTC(),
		Expiry:    time.UnixMicro(*c.expiry).UTC(),
		Count:     *c.count,
	}
	if err := json.Unmarshal([]byte(*c.factors), &t.Factors); err != nil {
		return nil, fmt.Errorf("factors: %w", err)
	}
	return t, nil
}
