package pgdb_test

import (
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xmppauth/xmppauth/internal/sqlstore"
	"github.com/xmppauth/xmppauth/internal/sqlstore/pgdb"
	"github.com/xmppauth/xmppauth/internal/sqlstore/sqltest"
)

var migrations = sqlstore.Migrations{Table: "test_migrations",
	FS: fstest.MapFS{
		"001_a.sql": {Data: []byte("CREATE TABLE a (x integer)")},
		"002_b.sql": {Data: []byte("CREATE TABLE b (y integer);" +
			" INSERT INTO a VALUES (1)")},
	}}

// lock is the advisory lock of the tests' migrations.
const lock = 0x7465_7374

// TestNodesStartTogether migrates one schema from eight pools at once.
func TestNodesStartTogether(t *testing.T) {
	name := sqltest.Schema(t, "pgdbtest_")
	pools := make([]*pgxpool.Pool, 8)
	for i := range pools {
		pools[i] = sqltest.Pool(t, name)
	}
	errs := make(chan error, len(pools))
	for _, p := range pools {
		go func() { errs <- pgdb.Migrate(t.Context(), p, migrations, lock) }()
	}
	for range pools {
		if err := <-errs; err != nil {
			t.Errorf("Migrate = %v", err)
		}
	}

	var rows, version int
	err := pools[0].QueryRow(t.Context(), "SELECT (SELECT count(*) FROM a),"+
		" (SELECT max(version) FROM test_migrations)").Scan(&rows, &version)
	if err != nil || rows != 1 || version != 2 {
		t.Errorf("rows %d, version %d, %v; want each migration run once",
			rows, version, err)
	}
}

func TestQueryYieldsEveryRowThenStops(t *testing.T) {
	db := pgdb.Conn{DB: sqltest.Pool(t, sqltest.Schema(t, "pgdbtest_"))}
	var got []int
	const q = "SELECT n FROM generate_series(1, 5) AS n"
	for row, err := range db.Query(t.Context(), q) {
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := row.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if got = append(got, n); n == 3 {
			break
		}
	}
	if len(got) != 3 {
		t.Errorf("rows %v, want 1 to 3", got)
	}
	for _, err := range db.Query(t.Context(), "SELECT nonsense") {
		if err == nil {
			t.Error("a bad query yielded a row")
		}
	}
}
