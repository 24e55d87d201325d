// Package sqlstore holds what the SQL stores of this module share,
// whatever they keep: a DB interface that both database/sql and pgx
// satisfy through small adapters, so that one set of statements serves
// SQLite and PostgreSQL, and a runner for the versioned migrations each
// store embeds.
//
// Package sqlitedb opens SQLite files ready for concurrent use and
// migrates them; package pgdb adapts and migrates PostgreSQL pools;
// package sqltest gives their tests a store of their own. The first two
// are apart so that a SQLite store does not link pgx, nor a PostgreSQL
// store the SQLite driver.
package sqlstore
