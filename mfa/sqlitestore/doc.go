// Package sqlitestore keeps the second factors of package mfa in SQLite:
// TOTP enrolments, recovery codes and WebAuthn credentials and
// ceremonies, for a server on one host, through the pure-Go driver
// modernc.org/sqlite, so no cgo. One Store implements mfa.TOTPStore,
// mfa.RecoveryStore and mfa.WebAuthnStore.
//
// Open opens a database file ready for concurrent use: write-ahead log,
// a busy timeout of ten seconds, immediate transactions and foreign keys.
// New uses a *sql.DB the host opened itself, which should set the same.
// Both bring the schema up to date with the migrations embedded in the
// package, recorded in the table mfa_migrations; the tables' names start
// with mfa_, so the file may also hold the FAST tokens of package
// fast/sqlitestore.
//
// Each method costs the statements below, each one round trip, and each
// change is atomic across goroutines and across processes sharing the
// file: every compare-and-set is a single conditional statement, and of
// two that race for one row exactly one succeeds.
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
// code is one statement. Records returned share no memory with the
// store.
//
// SQLite locks the file, so several processes may share it on one host
// but not over a network filesystem; servers on several hosts use
// mfa/pgstore.
package sqlitestore
