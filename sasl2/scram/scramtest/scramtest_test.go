package scramtest_test

import (
	"testing"

	"github.com/xmppauth/xmppauth/sasl2/scram"
	"github.com/xmppauth/xmppauth/sasl2/scram/scramtest"
)

// TestMemoryStore runs the suite against the package's own store.
func TestMemoryStore(t *testing.T) {
	scramtest.TestStore(t, func(t *testing.T, es []scramtest.Entry) scram.Store {
		s := &scram.MemoryStore{}
		for _, e := range es {
			s.Set(e.User, e.Hash, e.Credentials)
		}
		return s
	})
}
