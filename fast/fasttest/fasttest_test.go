package fasttest_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/fasttest"
)

// TestReference runs the suite against the smallest store that follows
// the contract, to show that the suite asks for nothing more.
func TestReference(t *testing.T) {
	fasttest.TestStore(t, func(*testing.T) fast.Store {
		return &reference{clients: make(map[[2]string]*[2]*fast.Token)}
	})
}

// TestSharedReference runs the shared suite with two handles on one map.
func TestSharedReference(t *testing.T) {
	fasttest.TestShared(t, func(*testing.T) []fast.Store {
		r := &reference{clients: make(map[[2]string]*[2]*fast.Token)}
		return []fast.Store{r, r}
	})
}

// reference is a fast.Store in a map behind a mutex.
type reference struct {
	mu      sync.Mutex
	clients map[[2]string]*[2]*fast.Token // slots by user and client id
}

func clone(t *fast.Token) *fast.Token {
	if t == nil {
		return nil
	}
	c := *t
	c.Sealed = slices.Clone(t.Sealed)
	c.Factors = slices.Clone(t.Factors)
	return &c
}

func (r *reference) Tokens(_ context.Context, user, clientID string) (
	current, next *fast.Token, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	slots := r.clients[[2]string{user, clientID}]
	if slots == nil {
		return nil, nil, fast.ErrNotFound
	}
	return clone(slots[fast.Current]), clone(slots[fast.New]), nil
}

func (r *reference) Issue(_ context.Context, t *fast.Token) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := [2]string{t.User, t.ClientID}
	if r.clients[key] == nil {
		r.clients[key] = new([2]*fast.Token)
	}
	r.clients[key][fast.New] = clone(t)
	return nil
}

func (r *reference) Use(_ context.Context, user, clientID string,
	slot fast.Slot, id string, count int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	slots := r.clients[[2]string{user, clientID}]
	if slot != fast.Current && slot != fast.New {
		return fmt.Errorf("reference: no slot %d", slot)
	}
	if slots == nil || slots[slot] == nil || slots[slot].ID != id ||
		count > 0 && count <= slots[slot].Count {
		return fast.ErrConflict
	}
	if count > 0 {
		slots[slot].Count = count
	}
	if slot == fast.New {
		slots[fast.Current], slots[fast.New] = slots[fast.New], nil
	}
	return nil
}

func (r *reference) Invalidate(_ context.Context, user, clientID,
	id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	slots := r.clients[[2]string{user, clientID}]
	if slots == nil {
		return fast.ErrConflict
	}
	found := false
	for i, t := range slots {
		if t != nil && t.ID == id {
			slots[i], found = nil, true
		}
	}
	if !found {
		return fast.ErrConflict
	}
	return nil
}

func (r *reference) Revoke(_ context.Context, user string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, slots := range r.clients {
		if key[0] == user {
			*slots = [2]*fast.Token{}
		}
	}
	return nil
}
