package fasttest

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/xmppauth/xmppauth/fast"
)

// TestShared runs the conformance suite against stores that share one
// database, as several processes or server nodes would: each subtest
// calls newStores once for two or more stores on a new, empty database,
// and sends every call to the next of them in turn, so that racing
// goroutines race through different handles.
func TestShared(t *testing.T, newStores func(t *testing.T) []fast.Store) {
	t.Helper()
	TestStore(t, func(t *testing.T) fast.Store {
		stores := newStores(t)
		if len(stores) < 2 {
			t.Fatalf("newStores made %d stores, want two or more",
				len(stores))
		}
		return &spread{stores: stores}
	})
}

// spread is a fast.Store that sends each call to the next of its stores.
type spread struct {
	stores []fast.Store
	calls  atomic.Uint64
}

func (s *spread) next() fast.Store {
	n := s.calls.Add(1) - 1
	return s.stores[n%uint64(len(s.stores))]
}

func (s *spread) Tokens(ctx context.Context, user, clientID string) (
	current, next *fast.Token, err error) {
	return s.next().Tokens(ctx, user, clientID)
}

func (s *spread) Issue(ctx context.Context, t *fast.Token) error {
	return s.next().Issue(ctx, t)
}

func (s *spread) Use(ctx context.Context, user, clientID string,
	slot fast.Slot, id string, count int64) error {
	return s.next().Use(ctx, user, clientID, slot, id, count)
}

func (s *spread) Invalidate(ctx context.Context, user, clientID,
	id string) error {
	return s.next().Invalidate(ctx, user, clientID, id)
}

func (s *spread) Revoke(ctx context.Context, user string) error {
	return s.next().Revoke(ctx, user)
}
