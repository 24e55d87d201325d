// Package pgstore keeps FAST tokens (XEP-0484) in PostgreSQL, through
// pgx: the fast.Store for several server nodes that share one database.
//
// New takes the host's *pgxpool.Pool and brings the schema up to date with
// the migrations embedded in the package, recorded in the table
// fast_migrations. The tables go in the first schema of the pool's
// search_path. Nodes starting together migrate once: the migration holds
// a transaction-level advisory lock.
//
// Each method is one statement, so one round trip to the database, and
// each change is atomic across goroutines and nodes: a conditional UPDATE
// that races another for the same row waits for it, then checks its
// condition again against the row the other left.
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
// it reaches the store. User names and client ids are text, which in
// PostgreSQL cannot hold a NUL character.
//
// Broadcasting a revocation to the other nodes with LISTEN/NOTIFY, so
// that they close the user's live sessions, is out of scope here: Revoke
// changes the rows, and every node sees the change on its next read.
package pgstore
