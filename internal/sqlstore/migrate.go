package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migrations are a store's versioned changes of schema: files named
// NNN_what.sql in one directory, each run once, in order of NNN.
type Migrations struct {
	// FS holds the files in the directory Dir, "" for its root.
	FS  fs.FS
	Dir string
	// Table keeps the version reached, as the store's own table, so that
	// stores sharing a database migrate apart: fast_migrations, say.
	Table string
}

// Run brings the schema in tx up to the newest of the migrations. The
// caller holds tx in a transaction that no other Run of m can enter until
// it ends, and commits it if Run succeeds. A schema newer than m knows of
// is left as it is.
func (m Migrations) Run(ctx context.Context, tx DB) error {
	names, err := fs.Glob(m.FS, path.Join(m.Dir, "*.sql"))
	if err != nil {
		return err
	}
	versions := make(map[string]int, len(names))
	seen := make(map[int]bool, len(names))
	for _, name := range names {
		v, _, _ := strings.Cut(path.Base(name), "_")
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

	table := "CREATE TABLE IF NOT EXISTS " + m.Table +
		" (version integer PRIMARY KEY)"
	if _, err := tx.Exec(ctx, table); err != nil {
		return err
	}
	var done int
	newest := "SELECT coalesce(max(version), 0) FROM " + m.Table
	if err := tx.QueryRow(ctx, newest).Scan(&done); err != nil {
		return err
	}

	for _, name := range names {
		if versions[name] <= done {
			continue
		}
		if err := m.run(ctx, tx, name, versions[name]); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// run applies one migration and records its version.
func (m Migrations) run(ctx context.Context, tx DB, name string,
	version int) error {
	text, err := fs.ReadFile(m.FS, name)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, string(text)); err != nil {
		return err
	}
	record := "INSERT INTO " + m.Table + " (version) VALUES ($1)"
	_, err = tx.Exec(ctx, record, version)
	return err
}
