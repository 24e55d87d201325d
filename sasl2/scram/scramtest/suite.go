package scramtest

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2/scram"
)

// Entry is one credential a store under test must hold.
type Entry struct {
	User        string
	Hash        crypto.Hash
	Credentials scram.Credentials
}

// users are the names the suite stores, all valid localparts: saslname
// specials and non-ASCII letters, next to names that a careless store
// would confuse them with.
var users = []string{"user", "users", "a,b=c", "a=2Cb=3Dc", "jürgen", "ελένη"}

// absent are names that must not match any of users. Case is left out:
// a store may fold it, as XMPP localparts do.
var absent = []string{"", " user", "user ", "us", "a,b", "juergen", "nobody"}

var hashes = []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA512}

// entries makes distinct credentials for every user and hash but one:
// "user" has no SHA-512 credentials.
func entries() []Entry {
	var es []Entry
	for i, u := range users {
		for j, h := range hashes {
			if u == "user" && h == crypto.SHA512 {
				continue
			}
			b := byte(16*i + j)
			es = append(es, Entry{u, h, scram.Credentials{
				Salt:       bytes.Repeat([]byte{b}, 16),
				Iterations: 4096 + int(b),
				StoredKey:  bytes.Repeat([]byte{b ^ 0x5a}, h.Size()),
				ServerKey:  bytes.Repeat([]byte{b ^ 0xa5}, h.Size()),
			}})
		}
	}
	return es
}

// TestStore runs the conformance suite for scram.Store. Each subtest calls
// newStore once with the entries the store must hold and nothing else;
// newStore should register its clean-up with t.Cleanup and fail t if it
// cannot make the store.
func TestStore(t *testing.T, newStore func(t *testing.T, es []Entry) scram.Store) {
	t.Helper()
	ctx := context.Background()

	t.Run("every entry comes back for its user and hash", func(t *testing.T) {
		es := entries()
		s := newStore(t, es)
		for _, e := range es {
			got, err := s.Credentials(ctx, e.User, e.Hash)
			if err != nil {
				t.Errorf("%q %v: %v", e.User, e.Hash, err)
				continue
			}
			if !same(got, e.Credentials) {
				t.Errorf("%q %v: got %+v, want %+v", e.User, e.Hash,
					got, e.Credentials)
			}
		}
	})

	t.Run("a name that is not stored is unknown", func(t *testing.T) {
		s := newStore(t, entries())
		for _, u := range absent {
			_, err := s.Credentials(ctx, u, crypto.SHA256)
			if !errors.Is(err, scram.ErrUnknownUser) {
				t.Errorf("%q: got %v, want ErrUnknownUser", u, err)
			}
		}
	})

	t.Run("a hash that is not stored for the user is unknown", func(t *testing.T) {
		s := newStore(t, entries())
		_, err := s.Credentials(ctx, "user", crypto.SHA512)
		if !errors.Is(err, scram.ErrUnknownUser) {
			t.Errorf("got %v, want ErrUnknownUser", err)
		}
	})

	t.Run("an empty store knows nobody", func(t *testing.T) {
		s := newStore(t, nil)
		_, err := s.Credentials(ctx, "user", crypto.SHA256)
		if !errors.Is(err, scram.ErrUnknownUser) {
			t.Errorf("got %v, want ErrUnknownUser", err)
		}
	})

	t.Run("concurrent reads see the same entries", func(t *testing.T) {
		es := entries()
		s := newStore(t, es)
		var wg sync.WaitGroup
		errs := make(chan error, len(es))
		for _, e := range es {
			wg.Go(func() {
				got, err := s.Credentials(ctx, e.User, e.Hash)
				if err == nil && !same(got, e.Credentials) {
					err = fmt.Errorf("%q %v: wrong credentials", e.User, e.Hash)
				}
				if err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func same(a, b scram.Credentials) bool {
	return a.Iterations == b.Iterations && bytes.Equal(a.Salt, b.Salt) &&
		bytes.Equal(a.StoredKey, b.StoredKey) &&
		bytes.Equal(a.ServerKey, b.ServerKey)
}
