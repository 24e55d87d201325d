// Package pgstore keeps the second factors of package mfa in PostgreSQL,
// through pgx: TOTP enrolments, recovery codes and WebAuthn credentials
// and ceremonies, for several server nodes that share one database. One
// Store implements mfa.TOTPStore, mfa.RecoveryStore and
// mfa.WebAuthnStore.
//
// New takes the host's *pgxpool.Pool and brings the schema up to date with
// the migrations embedded in the package, recorded in the table
// mfa_migrations. The tables, whose names start with mfa_, go in the
// first schema of the pool's search_path, where the FAST tokens of
// package fast/pgstore may live too. Nodes starting together migrate
// once: the migration holds a transaction-level advisory lock.
//
// Each method costs the statements below, each one round trip, and each
// change is atomic across goroutines and nodes: every compare-and-set is
// a single conditional statement, and one that races another for the
// same row waits for it, then checks its condition again against the row
// the other left.
//
//	TOTP                      one SELECT by primary key
//	PutTOTP                   one INSERT ... ON CONFLICT DO UPDATE,
//	                          conditional on the enrolment being pending
//	ActivateTOTP              one conditional UPDATE by primary key
//	ReserveTOTPAttempt        one conditional UPDATE (failures = old)
//	ConsumeTOTPStep           one conditional UPDATE (last_step < step)
//	UnlockTOTP, DeleteTOTP    one UPDATE or DELETE by primary key
//
//	RecoveryCodes             one SELECT by primary key
//	ReplaceRecoveryCodes      one INSERT ... ON CONFLICT DO UPDATE
//	ConsumeRecoveryCode       one conditional UPDATE ... RETURNING; when
//	                          it changes nothing, one SELECT to tell
//	                          ErrNotFound from ErrConflict
//	DeleteRecoveryCodes       one DELETE by primary key
//
//	WebAuthnCredentials       one SELECT by index
//	AddWebAuthnCredential     one INSERT ... ON CONFLICT DO NOTHING
//	UseWebAuthnCredential     one conditional UPDATE (sign_count = old);
//	                          when it changes nothing, one SELECT to tell
//	                          ErrNotFound from ErrConflict
//	RemoveWebAuthnCredential  one DELETE by primary key
//	PutWebAuthnChallenge      one INSERT ... ON CONFLICT DO NOTHING, then
//	                          one DELETE of the account's ceremonies
//	                          beyond the 16 that expire last
//	TakeWebAuthnChallenge     one DELETE ... RETURNING by primary key
//
// So a TOTP login costs three statements (one read, two compare-and-sets)
// and a recovery code one. A compare-and-set that changes no row returns
// mfa.ErrConflict, or mfa.ErrNotFound where the contract says so.
//
// The store keeps times to the microsecond and returns them in UTC. It
// keeps TOTP secrets as sealed, and recovery codes as the hashes it is
// given, each once: a set's hashes share one column, so that using a
// code is one statement. Account names, ids and labels are text, which
// in PostgreSQL cannot hold a NUL character.
package pgstore
