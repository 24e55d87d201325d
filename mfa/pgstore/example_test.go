package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/pgstore"
)

// Every node of a cluster opens its own pool on the shared database and
// its own Store, and gives it to each factor; of two nodes that receive
// the same TOTP code at once, one accepts it and the other refuses it.
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

	// The keys stay out of the database.
	sealer, err := fast.NewAESGCM([]byte(os.Getenv("TOTP_SEAL_KEY")))
	if err != nil {
		log.Fatal(err)
	}
	totp, err := mfa.NewTOTP(mfa.TOTPConfig{Store: s, Sealer: sealer,
		Issuer: "example.org"})
	if err != nil {
		log.Fatal(err)
	}
	recovery, err := mfa.NewRecovery(mfa.RecoveryConfig{Store: s,
		Key: []byte(os.Getenv("RECOVERY_HASH_KEY"))})
	if err != nil {
		log.Fatal(err)
	}
	policy := mfa.NewServer(mfa.Config{
		Factors: []mfa.Factor{totp, recovery},
	})
	_ = policy // the sasl2.Config's Policy
}
