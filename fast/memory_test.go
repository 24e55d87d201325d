package fast_test

import (
	"testing"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/fasttest"
)

func TestMemoryStore(t *testing.T) {
	fasttest.TestStore(t, func(*testing.T) fast.Store {
		return fast.NewMemoryStore()
	})
}

func TestMemoryStoreZeroValue(t *testing.T) {
	fasttest.TestStore(t, func(*testing.T) fast.Store {
		return &fast.MemoryStore{}
	})
}
