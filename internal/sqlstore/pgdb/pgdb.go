// Package pgdb adapts pgx to sqlstore.DB and migrates PostgreSQL
// schemas.
package pgdb

import (
	"context"
	"iter"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xmppauth/xmppauth/internal/sqlstore"
)

// Conn is a sqlstore.DB on pgx: DB is a *pgxpool.Pool, a *pgx.Conn or a
// pgx.Tx.
type Conn struct {
	DB interface {
		Exec(ctx context.Context, sql string,
			args ...any) (pgconn.CommandTag, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
		Query(ctx context.Context, sql string,
			args ...any) (pgx.Rows, error)
	}
}

// Exec implements sqlstore.DB.
func (c Conn) Exec(ctx context.Context, query string, args ...any) (
	int64, error) {
	tag, err := c.DB.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

// QueryRow implements sqlstore.DB. pgx.ErrNoRows matches sql.ErrNoRows.
func (c Conn) QueryRow(ctx context.Context, query string,
	args ...any) sqlstore.Row {
	return c.DB.QueryRow(ctx, query, args...)
}

// Query implements sqlstore.DB.
func (c Conn) Query(ctx context.Context, query string,
	args ...any) iter.Seq2[sqlstore.Row, error] {
	return sqlstore.Each(func() (sqlstore.Cursor, func(), error) {
		rows, err := c.DB.Query(ctx, query, args...)
		if err != nil {
			return nil, nil, err
		}
		return rows, rows.Close, nil
	})
}

// Migrate runs m in a transaction on pool that first takes the
// transaction-level advisory lock lock, so that nodes starting together
// migrate once. The tables go in the first schema of the pool's
// search_path.
func Migrate(ctx context.Context, pool *pgxpool.Pool, m sqlstore.Migrations,
	lock int64) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		const take = "SELECT pg_advisory_xact_lock($1)"
		if _, err := tx.Exec(ctx, take, lock); err != nil {
			return err
		}
		return m.Run(ctx, Conn{tx})
	})
}
