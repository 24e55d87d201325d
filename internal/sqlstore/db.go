package sqlstore

import (
	"context"
	"database/sql"
	"iter"
)

// DB runs statements on a database or in a transaction.
type DB interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// QueryRow runs a query for one row. Its Scan must fail with an
	// error matching sql.ErrNoRows when there is no row.
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Query runs a query and yields each row, or an error once, last.
	// Stopping early releases the rows.
	Query(ctx context.Context, query string, args ...any) iter.Seq2[Row, error]
}

// Row is one row of a result.
type Row interface {
	Scan(dest ...any) error
}

// Std is a DB on package database/sql: DB is a *sql.DB, *sql.Conn or
// *sql.Tx.
type Std struct {
	DB interface {
		ExecContext(ctx context.Context, query string,
			args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string,
			args ...any) *sql.Row
		QueryContext(ctx context.Context, query string,
			args ...any) (*sql.Rows, error)
	}
}

// Exec implements DB.
func (s Std) Exec(ctx context.Context, query string, args ...any) (
	int64, error) {
	res, err := s.DB.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// QueryRow implements DB.
func (s Std) QueryRow(ctx context.Context, query string,
	args ...any) Row {
	return s.DB.QueryRowContext(ctx, query, args...)
}

// Query implements DB.
func (s Std) Query(ctx context.Context, query string,
	args ...any) iter.Seq2[Row, error] {
	return Each(func() (Cursor, func(), error) {
		rows, err := s.DB.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, nil, err
		}
		return rows, func() { rows.Close() }, nil
	})
}

// Cursor is the rows of a result, as both drivers give them.
type Cursor interface {
	Row
	Next() bool
	Err() error
}

// Each is DB.Query for a driver: it runs open when the loop starts,
// yields each row of the cursor, then its error if it has one, and
// calls close when the loop ends.
func Each(open func() (c Cursor, close func(), err error)) iter.Seq2[Row,
	error] {
	return func(yield func(Row, error) bool) {
		rows, close, err := open()
		if err != nil {
			yield(nil, err)
			return
		}
		defer close()
		for rows.Next() {
			if !yield(rows, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, err)
		}
	}
}
