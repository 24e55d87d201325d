package mfasql

import (
	"context"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
)

// The TOTP statements. $1 is always the account.
const (
	selectTOTP = "SELECT id, sealed, digits, active, created, last_used," +
		" last_step, failures, last_attempt FROM mfa_totp" +
		" WHERE account = $1"

	// putTOTP inserts a pending enrolment or replaces a pending one;
	// an active one stays, and the statement changes no row.
	putTOTP = "INSERT INTO mfa_totp (account, id, sealed, digits, active," +
		" created, last_used, last_step, failures, last_attempt)" +
		" VALUES ($1, $2, $3, $4, false, $5, $6, $7, $8, $9)" +
		" ON CONFLICT (account) DO UPDATE SET id = excluded.id," +
		" sealed = excluded.sealed, digits = excluded.digits," +
		" active = false, created = excluded.created," +
		" last_used = excluded.last_used, last_step = excluded.last_step," +
		" failures = excluded.failures," +
		" last_attempt = excluded.last_attempt" +
		" WHERE NOT mfa_totp.active"

	activateTOTP = "UPDATE mfa_totp SET active = true, last_step = $3," +
		" last_used = $4, failures = 0" +
		" WHERE account = $1 AND id = $2 AND NOT active"

	reserveTOTP = "UPDATE mfa_totp SET failures = $2 + 1," +
		" last_attempt = $3 WHERE account = $1 AND failures = $2"

	consumeTOTP = "UPDATE mfa_totp SET last_step = $2, last_used = $3," +
		" failures = 0 WHERE account = $1 AND active AND last_step < $2"

	unlockTOTP = "UPDATE mfa_totp SET failures = 0 WHERE account = $1"

	deleteTOTP = "DELETE FROM mfa_totp WHERE account = $1"
)

// TOTP implements mfa.TOTPStore with one SELECT.
func (s *Store) TOTP(ctx context.Context, account string) (
	*mfa.TOTPRecord, error) {
	r := &mfa.TOTPRecord{Account: account}
	var created, used, attempt int64
	err := s.db.QueryRow(ctx, selectTOTP, account).Scan(&r.ID, &r.Sealed,
		&r.Digits, &r.Active, &created, &used, &r.LastStep, &r.Failures,
		&attempt)
	if noRow(err) {
		return nil, mfa.ErrNotFound
	}
	if err != nil {
		return nil, s.errorf("totp: %w", err)
	}
	r.Created, r.LastUsed = instant(created), instant(used)
	r.LastAttempt = instant(attempt)
	return r, nil
}

// PutTOTP implements mfa.TOTPStore with one upsert.
func (s *Store) PutTOTP(ctx context.Context, r *mfa.TOTPRecord) error {
	if r == nil {
		return s.errorf("put totp: no record")
	}
	n, err := s.db.Exec(ctx, putTOTP, r.Account, r.ID, r.Sealed, r.Digits,
		r.Created.UnixMicro(), r.LastUsed.UnixMicro(), r.LastStep,
		r.Failures, r.LastAttempt.UnixMicro())
	return s.changed("put totp", n, err, mfa.ErrConflict)
}

// ActivateTOTP implements mfa.TOTPStore with one conditional UPDATE.
func (s *Store) ActivateTOTP(ctx context.Context, account, id string,
	step int64, at time.Time) error {
	n, err := s.db.Exec(ctx, activateTOTP, account, id, step,
		at.UnixMicro())
	return s.changed("activate totp", n, err, mfa.ErrConflict)
}

// ReserveTOTPAttempt implements mfa.TOTPStore with one conditional
// UPDATE.
func (s *Store) ReserveTOTPAttempt(ctx context.Context, account string,
	failures int, at time.Time) error {
	n, err := s.db.Exec(ctx, reserveTOTP, account, failures, at.UnixMicro())
	return s.changed("reserve totp attempt", n, err, mfa.ErrConflict)
}

// ConsumeTOTPStep implements mfa.TOTPStore with one conditional UPDATE.
func (s *Store) ConsumeTOTPStep(ctx context.Context, account string,
	step int64, at time.Time) error {
	n, err := s.db.Exec(ctx, consumeTOTP, account, step, at.UnixMicro())
	return s.changed("consume totp step", n, err, mfa.ErrConflict)
}

// UnlockTOTP implements mfa.TOTPStore with one UPDATE.
func (s *Store) UnlockTOTP(ctx context.Context, account string) error {
	n, err := s.db.Exec(ctx, unlockTOTP, account)
	return s.changed("unlock totp", n, err, mfa.ErrNotFound)
}

// DeleteTOTP implements mfa.TOTPStore with one DELETE.
func (s *Store) DeleteTOTP(ctx context.Context, account string) error {
	n, err := s.db.Exec(ctx, deleteTOTP, account)
	return s.changed("delete totp", n, err, mfa.ErrNotFound)
}

// instant returns the time us microseconds after the Unix epoch, in UTC.
func instant(us int64) time.Time { return time.UnixMicro(us).UTC() }
