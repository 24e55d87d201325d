// Package tokensql is the fast.Store that the SQL stores of package fast
// share: sqlitestore and pgstore each migrate their database and give it
// a connection to it, and it does the rest, with statements that SQLite
// and PostgreSQL both run.
//
// Both databases keep one row per user and client, with a column per field
// of each slot, named cur_ (Current) or new_ (New) and the field: id,
// sealed, mechanism, issued, expiry, count, factors. A slot is empty when
// its id is NULL. Times are whole microseconds since the Unix epoch, so
// that they read and compare the same in both; factors are a JSON array of
// strings.
//
// Every method is one statement, and so one round trip, and every change
// is a single conditional UPDATE or an upsert, which both databases apply
// atomically: of two changes racing for one row, the second sees the
// first's result in its WHERE clause.
package tokensql

import (
	"fmt"
	"strings"
)

// fields are a slot's columns without their cur_ or new_ prefix, in the
// order in which Tokens reads them and Issue writes them.
var fields = []string{
	"id", "sealed", "mechanism", "issued", "expiry", "count", "factors",
}

// columns joins f(field) over the fields with commas.
func columns(f func(field string) string) string {
	s := make([]string, len(fields))
	for i, field := range fields {
		s[i] = f(field)
	}
	return strings.Join(s, ", ")
}

// slot returns a function naming the columns of the slot with prefix.
func slot(prefix string) func(string) string {
	return func(field string) string { return prefix + field }
}

// The statements. Arguments are $1, $2, ..., which SQLite reads as
// numbered parameters; $1 is always the user and $2 the client id.
var (
	// selectTokens reads the Current slot then the New one.
	selectTokens = "SELECT " + columns(slot("cur_")) + ", " +
		columns(slot("new_")) +
		" FROM fast_tokens WHERE username = $1 AND client_id = $2"

	// issue creates the client's row or replaces its New slot, from
	// the fields in $3 onwards.
	issue = "INSERT INTO fast_tokens (username, client_id, " +
		columns(slot("new_")) + ") VALUES ($1, $2, " +
		columns(param(3)) + ") ON CONFLICT (username, client_id) " +
		"DO UPDATE SET " + columns(func(f string) string {
		return "new_" + f + " = excluded.new_" + f
	})

	// useCurrent advances the Current token $3 to count $4.
	useCurrent = "UPDATE fast_tokens SET cur_count = $4" + where +
		" AND cur_id = $3 AND cur_count < $4"

	// checkCurrent counts the rows whose Current token is $3: using
	// it without a count changes nothing, so it needs no write.
	checkCurrent = "SELECT count(*) FROM fast_tokens" + where +
		" AND cur_id = $3"

	// promote moves the New token $3 to Current and empties New.
	promote = "UPDATE fast_tokens SET " + moveNew("new_count") + where +
		" AND new_id = $3"

	// promoteCount does the same, setting the count to $4 if it is
	// above the New token's.
	promoteCount = "UPDATE fast_tokens SET " + moveNew("$4") + where +
		" AND new_id = $3 AND new_count < $4"

	// invalidate empties whichever slot holds $3.
	invalidate = "UPDATE fast_tokens SET " + columns(func(f string) string {
		return "cur_" + f + " = CASE WHEN cur_id = $3 THEN NULL ELSE cur_" +
			f + " END"
	}) + ", " + columns(func(f string) string {
		return "new_" + f + " = CASE WHEN new_id = $3 THEN NULL ELSE new_" +
			f + " END"
	}) + where + " AND (cur_id = $3 OR new_id = $3)"

	// revoke empties both slots of every client of the user $1.
	revoke = "UPDATE fast_tokens SET " + columns(null("cur_")) + ", " +
		columns(null("new_")) + " WHERE username = $1"
)

// where picks the row of user $1 and client $2.
const where = " WHERE username = $1 AND client_id = $2"

// param returns a function numbering the fields' parameters from first.
func param(first int) func(string) string {
	n := first - 1
	return func(string) string {
		n++
		return fmt.Sprintf("$%d", n)
	}
}

// null returns a function setting the columns of the slot with prefix to
// NULL.
func null(prefix string) func(string) string {
	return func(f string) string { return prefix + f + " = NULL" }
}

// moveNew assigns the New slot to Current, with count as Current's
// count, and empties New. Both databases evaluate every right-hand side
// against the row as it was, so the order of the assignments is free.
func moveNew(count string) string {
	return columns(func(f string) string {
		if f == "count" {
			return "cur_count = " + count
		}
		return "cur_" + f + " = new_" + f
	}) + ", " + columns(null("new_"))
}
