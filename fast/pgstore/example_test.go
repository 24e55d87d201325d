package pgstore_test

import (
	"context"
	"errors"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/pgstore"
)

// Every node of a cluster opens its own pool on the shared database and
// its own Store; of two nodes that receive the same token with the same
// count at once, one succeeds and the other gets fast.ErrConflict.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://xmpp@db.example/xmpp")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	s, err := pgstore.New(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}

	const user, client = "juliet", "d4f8c6a2-4c33-4d67-9b44-7a1f2b3c4d5e"
	err = s.Use(ctx, user, client, fast.Current, "2b7e1516", 7)
	switch {
	case errors.Is(err, fast.ErrConflict):
		// A replay, or another node was first: not-authorized.
	case err != nil:
		// The database failed: temporary-auth-failure.
	}
}
