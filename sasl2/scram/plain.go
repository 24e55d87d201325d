package scram

import (
	"context"
	"crypto"
	"errors"
	"fmt"
)

// PlainVerifier returns a function that checks a PLAIN login against the
// SCRAM credentials that cfg.Store holds for hash h, for use as a
// plain.Verifier. It returns nil for the right password, a not-authorized
// *sasl2.Failure for a wrong password or an unknown user alike (an unknown
// user costs the same PBKDF2 run), and any other store error wrapped, which
// fails closed. The function is safe for concurrent use.
func PlainVerifier(cfg *ServerConfig, h crypto.Hash) func(ctx context.Context, user, password string) error {
	s := newServer(variant{hash: h}, cfg)
	return func(ctx context.Context, user, password string) error {
		if !supported(h) || s.cfg.Store == nil {
			return errors.New("scram: PLAIN verifier is not configured")
		}
		c, err := s.cfg.Store.Credentials(ctx, user, h)
		known := err == nil
		switch {
		case errors.Is(err, ErrUnknownUser):
			c = s.fake(user)
		case err != nil:
			return fmt.Errorf("scram: reading credentials: %w", err)
		case !c.valid(h):
			return errors.New("scram: stored credentials are unusable")
		}
		if !c.Verify(h, password) || !known {
			return denied()
		}
		return nil
	}
}
