package mfasql

import (
	"context"
	"encoding/json"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
)

// maxCeremonies bounds the ceremonies kept per account, as in
// mfa.MemoryStore: begun and never finished, they would otherwise pile
// up.
const maxCeremonies = 16

// The WebAuthn statements. $1 is always the account.
const (
	selectCredentials = "SELECT id, name, public_key, attestation_type," +
		" aaguid, transports, sign_count, backup_eligible, backup_state," +
		" created, last_used FROM mfa_webauthn_credentials" +
		" WHERE account = $1 ORDER BY created, id"

	// addCredential changes no row when the id is taken, by any
	// account.
	addCredential = "INSERT INTO mfa_webauthn_credentials (account, id," +
		" name, public_key, attestation_type, aaguid, transports," +
		" sign_count, backup_eligible, backup_state, created, last_used)" +
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)" +
		" ON CONFLICT (id) DO NOTHING"

	useCredential = "UPDATE mfa_webauthn_credentials SET sign_count = $4," +
		" backup_state = $5, last_used = $6" +
		" WHERE account = $1 AND id = $2 AND sign_count = $3"

	countCredential = "SELECT count(*) FROM mfa_webauthn_credentials" +
		" WHERE account = $1 AND id = $2"

	removeCredential = "DELETE FROM mfa_webauthn_credentials" +
		" WHERE account = $1 AND id = $2"

	// putChallenge changes no row when the id is taken.
	putChallenge = "INSERT INTO mfa_webauthn_challenges (account, id," +
		" kind, data, expiry) VALUES ($1, $2, $3, $4, $5)" +
		" ON CONFLICT (id) DO NOTHING"

	// trimChallenges drops the account's ceremonies other than $2 and
	// the $3 that expire last.
	trimChallenges = "DELETE FROM mfa_webauthn_challenges" +
		" WHERE account = $1 AND id <> $2 AND id NOT IN" +
		" (SELECT id FROM mfa_webauthn_challenges" +
		" WHERE account = $1 AND id <> $2" +
		" ORDER BY expiry DESC, id LIMIT $3)"

	takeChallenge = "DELETE FROM mfa_webauthn_challenges" +
		" WHERE account = $1 AND id = $2 RETURNING kind, data, expiry"
)

// WebAuthnCredentials implements mfa.WebAuthnStore with one SELECT. It
// returns the credentials in the order of their registration.
func (s *Store) WebAuthnCredentials(ctx context.Context, account string) (
	[]mfa.WebAuthnCredential, error) {
	var out []mfa.WebAuthnCredential
	for row, err := range s.db.Query(ctx, selectCredentials, account) {
		if err != nil {
			return nil, s.errorf("webauthn credentials: %w", err)
		}
		c := mfa.WebAuthnCredential{Account: account}
		var transports string
		var count, created, used int64
		err = row.Scan(&c.ID, &c.Name, &c.PublicKey, &c.AttestationType,
			&c.AAGUID, &transports, &count, &c.BackupEligible,
			&c.BackupState, &created, &used)
		if err == nil {
			err = json.Unmarshal([]byte(transports), &c.Transports)
		}
		if err != nil {
			return nil, s.errorf("webauthn credentials: %w", err)
		}
		c.SignCount = uint32(count)
		c.Created, c.LastUsed = instant(created), instant(used)
		out = append(out, c)
	}
	return out, nil
}

// AddWebAuthnCredential implements mfa.WebAuthnStore with one INSERT.
func (s *Store) AddWebAuthnCredential(ctx context.Context,
	c *mfa.WebAuthnCredential) error {
	if c == nil {
		return s.errorf("add webauthn credential: no credential")
	}
	transports, err := json.Marshal(c.Transports)
	if err != nil {
		return s.errorf("add webauthn credential: transports: %w", err)
	}
	n, err := s.db.Exec(ctx, addCredential, c.Account, c.ID, c.Name,
		c.PublicKey, c.AttestationType, c.AAGUID, string(transports),
		int64(c.SignCount), c.BackupEligible, c.BackupState,
		c.Created.UnixMicro(), c.LastUsed.UnixMicro())
	return s.changed("add webauthn credential", n, err, mfa.ErrConflict)
}

// UseWebAuthnCredential implements mfa.WebAuthnStore with one conditional
// UPDATE, and a SELECT when that changes nothing, to tell mfa.ErrNotFound
// from mfa.ErrConflict.
func (s *Store) UseWebAuthnCredential(ctx context.Context, account string,
	id []byte, old, count uint32, backupState bool, at time.Time) error {
	const op = "use webauthn credential"
	n, err := s.db.Exec(ctx, useCredential, account, id, int64(old),
		int64(count), backupState, at.UnixMicro())
	switch {
	case err != nil:
		return s.errorf("%s: %w", op, err)
	case n == 0:
		return s.missing(s.db.QueryRow(ctx, countCredential, account, id),
			op)
	}
	return nil
}

// RemoveWebAuthnCredential implements mfa.WebAuthnStore with one DELETE.
func (s *Store) RemoveWebAuthnCredential(ctx context.Context,
	account string, id []byte) error {
	n, err := s.db.Exec(ctx, removeCredential, account, id)
	return s.changed("remove webauthn credential", n, err, mfa.ErrNotFound)
}

// PutWebAuthnChallenge implements mfa.WebAuthnStore with one INSERT and,
// when that succeeds, one DELETE that keeps the account's ceremonies to
// the 16 that expire last, the new one always among them.
func (s *Store) PutWebAuthnChallenge(ctx context.Context,
	c *mfa.WebAuthnChallenge) error {
	const op = "put webauthn challenge"
	if c == nil {
		return s.errorf("%s: no challenge", op)
	}
	n, err := s.db.Exec(ctx, putChallenge, c.Account, c.ID, c.Kind, c.Data,
		c.Expiry.UnixMicro())
	if err := s.changed(op, n, err, mfa.ErrConflict); err != nil {
		return err
	}

	_, err = s.db.Exec(ctx, trimChallenges, c.Account, c.ID,
		maxCeremonies-1)
	if err != nil {
		return s.errorf("%s: drop old ceremonies: %w", op, err)
	}
	return nil
}

// TakeWebAuthnChallenge implements mfa.WebAuthnStore with one
// DELETE ... RETURNING.
func (s *Store) TakeWebAuthnChallenge(ctx context.Context, account,
	id string) (*mfa.WebAuthnChallenge, error) {
	c := &mfa.WebAuthnChallenge{ID: id, Account: account}
	var expiry int64
	err := s.db.QueryRow(ctx, takeChallenge, account, id).Scan(&c.Kind,
		&c.Data, &expiry)
	if noRow(err) {
		return nil, mfa.ErrNotFound
	}
	if err != nil {
		return nil, s.errorf("take webauthn challenge: %w", err)
	}
	c.Expiry = instant(expiry)
	return c, nil
}
