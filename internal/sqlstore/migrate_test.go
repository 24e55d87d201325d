package sqlstore

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"testing"
	"testing/fstest"
)

// script is a DB that records what it runs and reports version done.
type script struct {
	done int
	ran  []string
}

func (s *script) Exec(_ context.Context, query string, args ...any) (
	int64, error) {
	if args != nil {
		query += fmt.Sprint(" ", args)
	}
	s.ran = append(s.ran, query)
	return 0, nil
}

func (s *script) QueryRow(context.Context, string, ...any) Row {
	return s
}

func (s *script) Query(context.Context, string, ...any) iter.Seq2[Row,
	error] {
	return func(func(Row, error) bool) {}
}

func (s *script) Scan(dest ...any) error {
	*dest[0].(*int) = s.done
	return nil
}

func TestMigrateRunsWhatIsNewInOrder(t *testing.T) {
	m := Migrations{Table: "x_migrations", Dir: "m", FS: fstest.MapFS{
		"m/010_ten.sql": {Data: []byte("ten")},
		"m/002_two.sql": {Data: []byte("two")},
		"m/001_one.sql": {Data: []byte("one")},
		"m/README":      {Data: []byte("not a migration")},
		"003_other.sql": {Data: []byte("not in m")},
	}}
	db := &script{done: 1}
	if err := m.Run(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	const record = "INSERT INTO x_migrations (version) VALUES ($1)"
	want := []string{"two", record + " [2]", "ten", record + " [10]"}
	if got := db.ran[1:]; !slices.Equal(got, want) {
		t.Errorf("ran %q, want %q", got, want)
	}
}

func TestMigrateRefusesBadNames(t *testing.T) {
	for _, names := range [][]string{
		{"one.sql"},
		{"x01_one.sql"},
		{"000_zero.sql"},
		{"001_one.sql", "1_again.sql"},
	} {
		fsys := fstest.MapFS{}
		for _, name := range names {
			fsys[name] = &fstest.MapFile{}
		}
		m := Migrations{FS: fsys, Table: "x_migrations"}
		if err := m.Run(t.Context(), &script{}); err == nil {
			t.Errorf("Migrate of %q succeeded", names)
		}
	}
}
