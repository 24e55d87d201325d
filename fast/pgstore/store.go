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

// Store is a fast.Store in a PostgreSQL database: its methods are those
// of the interface, with the costs listed in the package documentation.
// It is safe for concurrent use by goroutines and by any number of nodes.
type Store struct {
	*tokensql.Store
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
	return &Store{Store: tokensql.New(pgdb.Conn{DB: pool}, "pgstore")}, nil
}
