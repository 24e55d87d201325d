package fast

import (
	"context"
	"errors"
	"time"
)

// Token is one FAST token as a Store keeps it. The secret is sealed: a
// Store never sees the token itself.
type Token struct {
	// ID names the token without revealing it: random, unique, not secret.
	ID string
	// User is the account's localpart.
	User string
	// ClientID is the canonical user-agent id the token was issued to.
	ClientID string
	// Sealed is the token string sealed with the server's Sealer, bound
	// as associated data to User, ClientID, Mechanism, ID and Expiry: a
	// change to any of them makes it unreadable.
	Sealed []byte
	// Mechanism is the HT mechanism the token is bound to (XEP-0484 §4).
	Mechanism string
	// Issued and Expiry bound the token's life.
	Issued, Expiry time.Time
	// Count is the highest replay count processed for this token, 0 when
	// none was sent (XEP-0484 §5.2).
	Count int64
	// Factors lists what the client proved when the token was first
	// issued: the mechanism it logged in with, such as "SCRAM-SHA-256",
	// then the names of the tasks it passed. Rotation carries them over.
	Factors []string
}

// Slot names one of the two places a client's tokens live: Current is
// the token in use, New the one issued since and not yet used.
type Slot int

// The two slots.
const (
	Current Slot = iota
	New
)

// Errors a Store returns. Any other error is a storage failure, which the
// server reports as temporary-auth-failure.
var (
	// ErrNotFound: the store holds nothing for that user and client.
	ErrNotFound = errors.New("fast: no tokens for this client")
	// ErrConflict: a compare-and-set lost, because another request used,
	// promoted, invalidated or replaced the token first, or the count was
	// not above the stored one.
	ErrConflict = errors.New("fast: token changed concurrently")
)

// Store keeps every client's tokens in two slots. All methods must be safe
// for concurrent use, by goroutines and, for durable stores, by several
// processes sharing one database. Every change is atomic: no reader sees
// half of it, and of two changes that race for the same token exactly one
// succeeds.
//
// A re-authentication costs one read (Tokens) and one compare-and-set
// (Use).
type Store interface {
	// Tokens returns the tokens of one client: either may be nil. It
	// returns ErrNotFound when the client has no record at all, and a
	// record with both slots empty once its tokens were invalidated or
	// revoked, so that the server can tell "no longer trusted"
	// (credentials-expired) from "never issued" (not-authorized).
	Tokens(ctx context.Context, user, clientID string) (current, next *Token, err error)
	// Issue puts t in the New slot of t.User and t.ClientID, replacing a
	// token there that was never used (XEP-0484 §4: the current one stays
	// valid until the new one is used).
	Issue(ctx context.Context, t *Token) error
	// Use records a successful authentication with the token id in slot:
	// if slot is New the token moves to Current and the token that was
	// there is dropped; the stored count becomes count when count is above
	// zero. It fails with ErrConflict unless slot still holds id and, when
	// count is above zero, count is above the stored count.
	Use(ctx context.Context, user, clientID string, slot Slot, id string, count int64) error
	// Invalidate empties whichever slot holds id, keeping the client's
	// record. It fails with ErrConflict when no slot holds id.
	Invalidate(ctx context.Context, user, clientID, id string) error
	// Revoke empties every slot of every client of user, keeping their
	// records: the server calls it when the password changes or the
	// account is deleted.
	Revoke(ctx context.Context, user string) error
}

// Sealer seals token secrets at rest. Implementations must be safe for
// concurrent use. Open must fail on any ciphertext or associated data that
// Seal did not produce.
type Sealer interface {
	Seal(plaintext, associated []byte) ([]byte, error)
	Open(ciphertext, associated []byte) ([]byte, error)
}
