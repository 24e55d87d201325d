package tokensql

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// Migrate brings the schema in tx up to the newest of the migrations in
// the root of fsys, files named NNN_what.sql that each run once, in order
// of NNN. The caller holds tx in a transaction that no other Migrate can
// enter until it ends, and commits it if Migrate succeeds.
//
// The version reached is kept in the table fast_migrations. A schema newer
// than fsys knows of is left as it is.
func Migrate(ctx context.Context, tx DB, fsys fs.FS) error {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return err
	}
	versions := make(map[string]int, len(names))
	seen := make(map[int]bool, len(names))
	for _, name := range names {
		v, _, _ := strings.Cut(name, "_")
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || seen[n] {
			return fmt.Errorf("migration %s: no NNN_ version of its own",
				name)
		}
		versions[name], seen[n] = n, true
	}
	slices.SortFunc(names, func(a, b string) int {
		return versions[a] - versions[b]
	})

	const table = "CREATE TABLE IF NOT EXISTS fast_migrations " +
		"(version integer PRIMARY KEY)"
	if _, err := tx.Exec(ctx, table); err != nil {
		return err
	}
	var done int
	const newest = "SELECT coalesce(max(version), 0) FROM fast_migrations"
	if err := tx.QueryRow(ctx, newest).Scan(&done); err != nil {
		return err
	}

	for _, name := range names {
		if versions[name] <= done {
			continue
		}
		if err := run(ctx, tx, fsys, name, versions[name]); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// run applies one migration and records its version.
func run(ctx context.Context, tx DB, fsys fs.FS, name string,
	version int) error {
	text, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, string(text)); err != nil {
		return err
	}
	const record = "INSERT INTO fast_migrations (version) VALUES ($1)"
	_, err = tx.Exec(ctx, record, version)
	return err
}
