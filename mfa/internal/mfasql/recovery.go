package mfasql

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/xmppauth/xmppauth/mfa"
)

// The recovery statements. $1 is always the account.
const (
	selectRecovery = "SELECT hashes, created, last_used FROM mfa_recovery" +
		" WHERE account = $1"

	replaceRecovery = "INSERT INTO mfa_recovery (account, hashes," +
		" remaining, created, last_used) VALUES ($1, $2, $3, $4, $5)" +
		" ON CONFLICT (account) DO UPDATE SET hashes = excluded.hashes," +
		" remaining = excluded.remaining, created = excluded.created," +
		" last_used = excluded.last_used"

	// consumeRecovery removes the hash $2, in its separators, if the
	// set holds it.
	consumeRecovery = "UPDATE mfa_recovery" +
		" SET hashes = replace(hashes, $2, ';')," +
		" remaining = remaining - 1, last_used = $3" +
		" WHERE account = $1 AND replace(hashes, $2, ';') <> hashes" +
		" RETURNING remaining"

	countRecovery = "SELECT count(*) FROM mfa_recovery WHERE account = $1"

	deleteRecovery = "DELETE FROM mfa_recovery WHERE account = $1"
)

// RecoveryCodes implements mfa.RecoveryStore with one SELECT.
func (s *Store) RecoveryCodes(ctx context.Context, account string) (
	*mfa.RecoveryCodes, error) {
	var hashes string
	var created, used int64
	err := s.db.QueryRow(ctx, selectRecovery, account).Scan(&hashes,
		&created, &used)
	if noRow(err) {
		return nil, mfa.ErrNotFound
	}
	if err != nil {
		return nil, s.errorf("recovery codes: %w", err)
	}

	c := &mfa.RecoveryCodes{Account: account,
		Created: instant(created), LastUsed: instant(used)}
	if c.Hashes, err = unpack(hashes); err != nil {
		return nil, s.errorf("recovery codes: %w", err)
	}
	return c, nil
}

// ReplaceRecoveryCodes implements mfa.RecoveryStore with one upsert. The
// set keeps each hash once.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context,
	c *mfa.RecoveryCodes) error {
	if c == nil {
		return s.errorf("replace recovery codes: no set")
	}
	hashes, n := pack(c.Hashes)
	_, err := s.db.Exec(ctx, replaceRecovery, c.Account, hashes, n,
		c.Created.UnixMicro(), c.LastUsed.UnixMicro())
	if err != nil {
		return s.errorf("replace recovery codes: %w", err)
	}
	return nil
}

// ConsumeRecoveryCode implements mfa.RecoveryStore with one conditional
// UPDATE, and a SELECT when that changes nothing, to tell mfa.ErrNotFound
// from mfa.ErrConflict.
func (s *Store) ConsumeRecoveryCode(ctx context.Context, account string,
	hash []byte, at time.Time) (int, error) {
	const op = "consume recovery code"
	var remaining int
	err := s.db.QueryRow(ctx, consumeRecovery, account, packed(hash),
		at.UnixMicro()).Scan(&remaining)
	switch {
	case noRow(err):
		return 0, s.missing(s.db.QueryRow(ctx, countRecovery, account), op)
	case err != nil:
		return 0, s.errorf("%s: %w", op, err)
	}
	return remaining, nil
}

// DeleteRecoveryCodes implements mfa.RecoveryStore with one DELETE.
func (s *Store) DeleteRecoveryCodes(ctx context.Context,
	account string) error {
	n, err := s.db.Exec(ctx, deleteRecovery, account)
	return s.changed("delete recovery codes", n, err, mfa.ErrNotFound)
}

// pack returns hashes as the column keeps them, each once, and how many
// that is.
func pack(hashes [][]byte) (string, int) {
	var b strings.Builder
	b.WriteByte(';')
	seen := make(map[string]bool, len(hashes))
	for _, h := range hashes {
		if x := hex.EncodeToString(h); !seen[x] {
			seen[x] = true
			b.WriteString(x + ";")
		}
	}
	return b.String(), len(seen)
}

// packed returns hash as the column keeps it, between separators.
func packed(hash []byte) string { return ";" + hex.EncodeToString(hash) + ";" }

// unpack returns the hashes that pack packed, in order.
func unpack(s string) ([][]byte, error) {
	rest, ok := strings.CutPrefix(s, ";")
	if !ok {
		return nil, errors.New("hashes lack the leading separator")
	}
	var hashes [][]byte
	for rest != "" {
		x, after, ok := strings.Cut(rest, ";")
		if !ok {
			return nil, errors.New("a hash lacks its separator")
		}
		h, err := hex.DecodeString(x)
		if err != nil {
			return nil, err
		}
		hashes, rest = append(hashes, h), after
	}
	return hashes, nil
}
