package sqlitedb_test

import (
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/xmppauth/xmppauth/internal/sqlstore"
	"github.com/xmppauth/xmppauth/internal/sqlstore/sqlitedb"
)

var migrations = sqlstore.Migrations{Table: "test_migrations",
	FS: fstest.MapFS{
		"001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER)")},
		"002_b.sql": {Data: []byte("CREATE TABLE b (y INTEGER);" +
			" INSERT INTO a VALUES (1)")},
	}}

// TestProcessesStartTogether opens and migrates one new file eight
// times at once, as processes starting together would.
func TestProcessesStartTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			db, err := sqlitedb.Open(path, migrations)
			if err == nil {
				err = db.Close()
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("Open = %v", err)
		}
	}

	db, err := sqlitedb.Open(path, migrations)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, version int
	err = db.QueryRow("SELECT (SELECT count(*) FROM a),"+
		" (SELECT max(version) FROM test_migrations)").Scan(&rows, &version)
	if err != nil || rows != 1 || version != 2 {
		t.Errorf("rows %d, version %d, %v; want each migration run once",
			rows, version, err)
	}
}

func TestOpenFailsOnADirectory(t *testing.T) {
	db, err := sqlitedb.Open(t.TempDir(), migrations)
	if err == nil {
		db.Close()
		t.Fatal("Open of a directory succeeded")
	}
}

func TestAFailedMigrationChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	bad := migrations
	bad.FS = fstest.MapFS{
		"001_a.sql": migrations.FS.(fstest.MapFS)["001_a.sql"],
		"002_bad.sql": {Data: []byte("CREATE TABLE c (z INTEGER);" +
			" NOT SQL")},
	}
	if db, err := sqlitedb.Open(path, bad); err == nil {
		db.Close()
		t.Fatal("Open ran a bad migration")
	}

	db, err := sqlitedb.Open(path, migrations)
	if err != nil {
		t.Fatalf("Open after a failed migration = %v", err)
	}
	defer db.Close()
	var c int
	const q = "SELECT count(*) FROM sqlite_schema WHERE name = 'c'"
	if err := db.QueryRow(q).Scan(&c); err != nil || c != 0 {
		t.Errorf("table c: %d, %v; want the failed migration undone", c, err)
	}
}
