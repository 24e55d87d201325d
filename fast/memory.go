package fast

import (
	"context"
	"slices"
	"sync"
)

// MemoryStore is a Store in memory, for tests and single-process servers
// that may lose every token on restart. It is safe for concurrent use; the
// zero value is an empty store.
type MemoryStore struct {
	mu    sync.Mutex
	users map[string]map[string]*[2]*Token // slots by user, client, Slot
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{}
}

// copyToken returns a copy of t that shares no memory with it.
func copyToken(t *Token) *Token {
	if t == nil {
		return nil
	}
	c := *t
	c.Sealed = slices.Clone(t.Sealed)
	c.Factors = slices.Clone(t.Factors)
	return &c
}

// Tokens implements Store.
func (s *MemoryStore) Tokens(_ context.Context, user, clientID string) (
	current, next *Token, err error) {

	s.mu.Lock()
	defer s.mu.Unlock()
	slots, ok := s.users[user][clientID]
	if !ok {
		return nil, nil, ErrNotFound
	}
	return copyToken(slots[Current]), copyToken(slots[New]), nil
}

// Issue implements Store.
func (s *MemoryStore) Issue(_ context.Context, t *Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == nil {
		s.users = make(map[string]map[string]*[2]*Token)
	}
	clients, ok := s.users[t.User]
	if !ok {
		clients = make(map[string]*[2]*Token)
		s.users[t.User] = clients
	}
	slots, ok := clients[t.ClientID]
	if !ok {
		slots = new([2]*Token)
		clients[t.ClientID] = slots
	}
	slots[New] = copyToken(t)
	return nil
}

// Use implements Store.
func (s *MemoryStore) Use(_ context.Context, user, clientID string,
	slot Slot, id string, count int64) error {

	s.mu.Lock()
	defer s.mu.Unlock()
	slots, ok := s.users[user][clientID]
	if !ok || (slot != Current && slot != New) {
		return ErrConflict
	}
	t := slots[slot]
	if t == nil || t.ID != id || count > 0 && count <= t.Count {
		return ErrConflict
	}
	if count > 0 {
		t.Count = count
	}
	if slot == New {
		slots[Current], slots[New] = t, nil
	}
	return nil
}

// Invalidate implements Store.
func (s *MemoryStore) Invalidate(_ context.Context, user, clientID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	slots, ok := s.users[user][clientID]
	if !ok {
		return ErrConflict
	}
	for i, t := range slots {
		if t != nil && t.ID == id {
			slots[i] = nil
			return nil
		}
	}
	return ErrConflict
}

// Revoke implements Store.
func (s *MemoryStore) Revoke(_ context.Context, user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, slots := range s.users[user] {
		*slots = [2]*Token{}
	}
	return nil
}
