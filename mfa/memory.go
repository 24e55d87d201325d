package mfa

import (
	"bytes"
	"context"
	"crypto/subtle"
	"slices"
	"sync"
	"time"
)

// MemoryStore is a TOTPStore, RecoveryStore and WebAuthnStore in memory,
// for tests and single-process servers that may lose every enrolment on
// restart. It is safe for concurrent use; the zero value is an empty
// store.
type MemoryStore struct {
	mu         sync.Mutex
	totp       map[string]*TOTPRecord
	recovery   map[string]*RecoveryCodes
	creds      map[string][]*WebAuthnCredential // by account
	owners     map[string]string                // account by credential id
	challenges map[string]*WebAuthnChallenge    // by ceremony id
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

func (s *MemoryStore) init() {
	if s.totp == nil {
		s.totp = make(map[string]*TOTPRecord)
		s.recovery = make(map[string]*RecoveryCodes)
		s.creds = make(map[string][]*WebAuthnCredential)
		s.owners = make(map[string]string)
		s.challenges = make(map[string]*WebAuthnChallenge)
	}
}

func copyTOTP(r *TOTPRecord) *TOTPRecord {
	c := *r
	c.Sealed = slices.Clone(r.Sealed)
	return &c
}

// TOTP implements TOTPStore.
func (s *MemoryStore) TOTP(_ context.Context, account string) (*TOTPRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.totp[account]
	if !ok {
		return nil, ErrNotFound
	}
	return copyTOTP(r), nil
}

// PutTOTP implements TOTPStore.
func (s *MemoryStore) PutTOTP(_ context.Context, r *TOTPRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if old, ok := s.totp[r.Account]; ok && old.Active {
		return ErrConflict
	}
	c := copyTOTP(r)
	c.Active = false
	s.totp[r.Account] = c
	return nil
}

// ActivateTOTP implements TOTPStore.
func (s *MemoryStore) ActivateTOTP(_ context.Context, account, id string, step int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.totp[account]
	if !ok || r.Active || r.ID != id {
		return ErrConflict
	}
	r.Active, r.LastStep, r.LastUsed, r.Failures = true, step, at, 0
	return nil
}

// ReserveTOTPAttempt implements TOTPStore.
func (s *MemoryStore) ReserveTOTPAttempt(_ context.Context, account string, failures int, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.totp[account]
	if !ok || r.Failures != failures {
		return ErrConflict
	}
	r.Failures, r.LastAttempt = failures+1, at
	return nil
}

// ConsumeTOTPStep implements TOTPStore.
func (s *MemoryStore) ConsumeTOTPStep(_ context.Context, account string, step int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.totp[account]
	if !ok || !r.Active || step <= r.LastStep {
		return ErrConflict
	}
	r.LastStep, r.LastUsed, r.Failures = step, at, 0
	return nil
}

// UnlockTOTP implements TOTPStore.
func (s *MemoryStore) UnlockTOTP(_ context.Context, account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.totp[account]
	if !ok {
		return ErrNotFound
	}
	r.Failures = 0
	return nil
}

// DeleteTOTP implements TOTPStore.
func (s *MemoryStore) DeleteTOTP(_ context.Context, account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.totp[account]; !ok {
		return ErrNotFound
	}
	delete(s.totp, account)
	return nil
}

func copyCodes(c *RecoveryCodes) *RecoveryCodes {
	out := *c
	out.Hashes = make([][]byte, len(c.Hashes))
	for i, h := range c.Hashes {
		out.Hashes[i] = slices.Clone(h)
	}
	return &out
}

// RecoveryCodes implements RecoveryStore.
func (s *MemoryStore) RecoveryCodes(_ context.Context, account string) (*RecoveryCodes, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.recovery[account]
	if !ok {
		return nil, ErrNotFound
	}
	return copyCodes(c), nil
}

// ReplaceRecoveryCodes implements RecoveryStore.
func (s *MemoryStore) ReplaceRecoveryCodes(_ context.Context, c *RecoveryCodes) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.recovery[c.Account] = copyCodes(c)
	return nil
}

// ConsumeRecoveryCode implements RecoveryStore. It compares hash with
// every stored hash in constant time.
func (s *MemoryStore) ConsumeRecoveryCode(_ context.Context, account string, hash []byte, at time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.recovery[account]
	if !ok {
		return 0, ErrNotFound
	}
	found := -1
	for i, h := range c.Hashes {
		if subtle.ConstantTimeCompare(h, hash) == 1 {
			found = i
		}
	}
	if found < 0 {
		return 0, ErrConflict
	}
	c.Hashes = slices.Delete(c.Hashes, found, found+1)
	c.LastUsed = at
	return len(c.Hashes), nil
}

// DeleteRecoveryCodes implements RecoveryStore.
func (s *MemoryStore) DeleteRecoveryCodes(_ context.Context, account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.recovery[account]; !ok {
		return ErrNotFound
	}
	delete(s.recovery, account)
	return nil
}

func copyCredential(c *WebAuthnCredential) WebAuthnCredential {
	out := *c
	out.ID = slices.Clone(c.ID)
	out.PublicKey = slices.Clone(c.PublicKey)
	out.AAGUID = slices.Clone(c.AAGUID)
	out.Transports = slices.Clone(c.Transports)
	return out
}

// WebAuthnCredentials implements WebAuthnStore.
func (s *MemoryStore) WebAuthnCredentials(_ context.Context, account string) ([]WebAuthnCredential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []WebAuthnCredential
	for _, c := range s.creds[account] {
		out = append(out, copyCredential(c))
	}
	return out, nil
}

// AddWebAuthnCredential implements WebAuthnStore.
func (s *MemoryStore) AddWebAuthnCredential(_ context.Context, c *WebAuthnCredential) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if _, ok := s.owners[string(c.ID)]; ok {
		return ErrConflict
	}
	cp := copyCredential(c)
	s.owners[string(c.ID)] = c.Account
	s.creds[c.Account] = append(s.creds[c.Account], &cp)
	return nil
}

// credential returns the account's credential id, or nil.
func (s *MemoryStore) credential(account string, id []byte) *WebAuthnCredential {
	for _, c := range s.creds[account] {
		if bytes.Equal(c.ID, id) {
			return c
		}
	}
	return nil
}

// UseWebAuthnCredential implements WebAuthnStore.
func (s *MemoryStore) UseWebAuthnCredential(_ context.Context, account string, id []byte, old, count uint32, backupState bool, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.credential(account, id)
	switch {
	case c == nil:
		return ErrNotFound
	case c.SignCount != old:
		return ErrConflict
	}
	c.SignCount, c.BackupState, c.LastUsed = count, backupState, at
	return nil
}

// RemoveWebAuthnCredential implements WebAuthnStore.
func (s *MemoryStore) RemoveWebAuthnCredential(_ context.Context, account string, id []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.creds[account]
	i := slices.IndexFunc(list, func(c *WebAuthnCredential) bool {
		return bytes.Equal(c.ID, id)
	})
	if i < 0 {
		return ErrNotFound
	}
	s.creds[account] = slices.Delete(list, i, i+1)
	delete(s.owners, string(id))
	return nil
}

// maxCeremonies bounds the ceremonies a MemoryStore keeps per account:
// begun and never finished, they would otherwise pile up.
const maxCeremonies = 16

// PutWebAuthnChallenge implements WebAuthnStore. Beyond maxCeremonies
// for one account it drops the one that expires first.
func (s *MemoryStore) PutWebAuthnChallenge(_ context.Context, c *WebAuthnChallenge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if _, ok := s.challenges[c.ID]; ok {
		return ErrConflict
	}
	var mine []*WebAuthnChallenge
	for _, old := range s.challenges {
		if old.Account == c.Account {
			mine = append(mine, old)
		}
	}
	if len(mine) >= maxCeremonies {
		first := slices.MinFunc(mine, func(a, b *WebAuthnChallenge) int {
			return a.Expiry.Compare(b.Expiry)
		})
		delete(s.challenges, first.ID)
	}
	cp := *c
	cp.Data = slices.Clone(c.Data)
	s.challenges[c.ID] = &cp
	return nil
}

// TakeWebAuthnChallenge implements WebAuthnStore.
func (s *MemoryStore) TakeWebAuthnChallenge(_ context.Context, account, id string) (*WebAuthnChallenge, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.challenges[id]
	if !ok || c.Account != account {
		return nil, ErrNotFound
	}
	delete(s.challenges, id)
	return c, nil
}

// Interface checks.
var (
	_ TOTPStore     = (*MemoryStore)(nil)
	_ RecoveryStore = (*MemoryStore)(nil)
	_ WebAuthnStore = (*MemoryStore)(nil)
)
