package pgstore_test

import (
	"testing"

	"github.com/xmppauth/xmppauth/internal/sqlstore/sqltest"
	"github.com/xmppauth/xmppauth/mfa/internal/storetest"
	"github.com/xmppauth/xmppauth/mfa/pgstore"
)

// open returns a Store in schema, on a pool of its own.
func open(t *testing.T, schema string) storetest.Store {
	t.Helper()
	return sqltest.OnPool(t, schema, pgstore.New)
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, sqltest.Schema(t, "mfatest_"))
	})
}

// TestTwoNodes gives each database two pools, as two nodes would have.
func TestTwoNodes(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) []storetest.Store {
		name := sqltest.Schema(t, "mfatest_")
		return []storetest.Store{open(t, name), open(t, name)}
	})
}

// TestTwoNodesRace races two pools on one schema for each proof.
func TestTwoNodesRace(t *testing.T) {
	name := sqltest.Schema(t, "mfatest_")
	storetest.Races(t, open(t, name), open(t, name), 20)
}
