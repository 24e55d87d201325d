package scram

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"sync"
)

// ErrUnknownUser is what a Store returns, possibly wrapped, for a user
// that has no credentials for the requested hash.
var ErrUnknownUser = errors.New("scram: unknown user")

// Store gives the server the credentials of a user. Implementations must be
// safe for concurrent use: every exchange on every connection reads
// through one Store.
type Store interface {
	// Credentials returns the credentials of user (the localpart, as the
	// client sent it after saslname unescaping) for hash h, or an error
	// that wraps ErrUnknownUser when there are none. The server then goes
	// on with made-up credentials and fails after the client's proof, as
	// for a wrong password. Any other error fails the exchange closed with
	// temporary-auth-failure. The caller does not modify what is returned.
	//
	// The server does not normalise user. A store may compare names as
	// XMPP compares localparts (folding case, say), and then the
	// authenticated JID carries the spelling the client sent; it must not
	// trim or otherwise rewrite them, so that " user" is not "user".
	// scramtest.TestStore checks an implementation.
	Credentials(ctx context.Context, user string, h crypto.Hash) (Credentials, error)
}

// MemoryStore is a Store in memory, for tests and small servers. The zero
// value is empty and ready to use. It is safe for concurrent use.
type MemoryStore struct {
	mu    sync.RWMutex
	users map[memoryKey]Credentials
}

type memoryKey struct {
	user string
	hash crypto.Hash
}

// Set stores c as the credentials of user for hash h, replacing any
// earlier ones. It keeps copies of c's slices.
func (s *MemoryStore) Set(user string, h crypto.Hash, c Credentials) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == nil {
		s.users = make(map[memoryKey]Credentials)
	}
	s.users[memoryKey{user, h}] = Credentials{
		Salt:       bytes.Clone(c.Salt),
		Iterations: c.Iterations,
		StoredKey:  bytes.Clone(c.StoredKey),
		ServerKey:  bytes.Clone(c.ServerKey),
	}
}

// Delete removes every credential of user.
func (s *MemoryStore) Delete(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.users {
		if k.user == user {
			delete(s.users, k)
		}
	}
}

// Credentials implements Store.
func (s *MemoryStore) Credentials(_ context.Context, user string, h crypto.Hash) (Credentials, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.users[memoryKey{user, h}]
	if !ok {
		return Credentials{}, ErrUnknownUser
	}
	return c, nil
}
