package pgstore

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/internal/tokensql"
	"github.com/xmppauth/xmppauth/internal/sqlstore"
	"github.com/xmppauth/xmppauth/internal/sqlstore/pgdb"
)

//go:embed migrations/*.sql
var files embed.FS

// migrations bring the schema up to date.
var migrations = sqlstore.Migrations{FS: files, Dir: "migrations",
	Table: "fast_migrations"}

// Store is a fast.Store in a PostgreSQL database. It is safe for
// concurrent use by goroutines and by any number of nodes.
type Store struct {
	tokens *tokensql.Store
}

var _ fast.Store = (*Store)(nil)

// migrationLock is the advisory lock that migrations hold: "xmppfast" in
// ASCII.
const migrationLock = 0x786d7070_66617374

// New returns a Store on pool after bringing its schema up to date. The
// host keeps pool and closes it.
func New(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	err := pgdb.Migrate(ctx, pool, migrations, migrationLock)
	if err != nil {
		return nil, fmt.Errorf("pgstore: migrate: %w", err)
	}
	tokens := tokensql.New(pgdb.Conn{DB: pool}, "pgstore")
	return &Store{tokens: tokens}, nil
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
