// Package mfasql is the mfa.TOTPStore, mfa.RecoveryStore and
// mfa.WebAuthnStore that the SQL stores of package mfa share: sqlitestore
// and pgstore each migrate their database and give it a connection to
// it, and it does the rest, with statements that SQLite and PostgreSQL
// both run.
//
// There are four tables: mfa_totp, one row per account with an
// enrolment; mfa_recovery, one row per account with a set of codes;
// mfa_webauthn_credentials, one row per credential; and
// mfa_webauthn_challenges, one row per ceremony in progress. Times are
// whole microseconds since the Unix epoch, as in the FAST stores, the
// zero time included; transports are a JSON array of strings.
//
// A set of recovery codes is one row, its hashes in one text column, so
// that using a code is one statement like every other compare-and-set:
// each hash in lowercase hex followed by a semicolon, after a leading
// one (";a1b2;c3d4;"), so that ";c3d4;" finds a whole hash and nothing
// else, and replace() removes it.
//
// Every change is one statement, a conditional UPDATE, an INSERT ... ON
// CONFLICT or a DELETE, which both databases apply atomically: of two
// changes racing for one row, the second sees the first's result in its
// WHERE clause. (PutWebAuthnChallenge then drops the account's oldest
// ceremonies with a second one.) A change that finds nothing to change
// returns mfa.ErrConflict or mfa.ErrNotFound; where the contract tells
// the two apart, a SELECT that follows tells which.
package mfasql
