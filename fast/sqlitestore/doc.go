// Package sqlitestore keeps FAST tokens (XEP-0484) in SQLite: the embedded
// fast.Store for a server on one host, through the pure-Go driver
// modernc.org/sqlite, so no cgo.
//
// Open opens a database file ready for concurrent use: write-ahead log,
// a busy timeout of ten seconds, immediate transactions and foreign keys.
// New uses a *sql.DB the host opened itself, which should set the same.
// Both bring the schema up to date with the migrations embedded in the
// package, recorded in the table fast_migrations.
//
// Each method is one statement, so one round trip to the database, and
// each change is atomic across goroutines and across processes sharing
// the file:
//
//	Tokens      one SELECT by primary key
//	Issue       one INSERT ... ON CONFLICT DO UPDATE
//	Use         one conditional UPDATE by primary key; with slot Current
//	            and no count it changes nothing, so one SELECT instead
//	Invalidate  one conditional UPDATE by primary key
//	Revoke      one UPDATE of the user's rows, found by primary key prefix
//
// A compare-and-set that changes no row returns fast.ErrConflict. The
// store keeps Issued and Expiry to the microsecond and returns them in
// UTC, and it keeps Sealed as given: the secret inside is sealed before
// it reaches the store.
//
// SQLite locks the file, so several processes may share it on one host
// but not over a network filesystem; servers on several hosts use pgstore.
package sqlitestore
