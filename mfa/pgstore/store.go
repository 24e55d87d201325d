package pgstore

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xmppauth/xmppauth/internal/sqlstore"
	"github.com/xmppauth/xmppauth/internal/sqlstore/pgdb"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/internal/mfasql"
)

//go:embed migrations/*.sql
var files embed.FS

// migrations bring the schema up to date.
var migrations = sqlstore.Migrations{FS: files, Dir: "migrations",
	Table: "mfa_migrations"}

// Store is an mfa.TOTPStore, mfa.RecoveryStore and mfa.WebAuthnStore in a
// PostgreSQL database: its methods are those of the three interfaces,
// with the costs listed in the package documentation. It is safe for
// concurrent use by goroutines and by any number of nodes.
type Store struct {
	*mfasql.Store
}

// Interface checks.
var (
	_ mfa.TOTPStore     = (*Store)(nil)
	_ mfa.RecoveryStore = (*Store)(nil)
	_ mfa.WebAuthnStore = (*Store)(nil)
)

// migrationLock is the advisory lock that migrations hold: "xmpp mfa" in
// ASCII.
const migrationLock = 0x786d7070_206d6661

// New returns a Store on pool after bringing its schema up to date. The
// host keeps pool and closes it.
func New(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	err := pgdb.Migrate(ctx, pool, migrations, migrationLock)
	if err != nil {
		return nil, fmt.Errorf("pgstore: migrate: %w", err)
	}
	return &Store{Store: mfasql.New(pgdb.Conn{DB: pool}, "pgstore")}, nil
}
