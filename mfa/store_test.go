package mfa_test

import (
	"testing"

	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/mfa/mfatest"
)

func TestMemoryStore(t *testing.T) {
	t.Run("TOTP", func(t *testing.T) {
		mfatest.TestTOTPStore(t, func(*testing.T) mfa.TOTPStore {
			return mfa.NewMemoryStore()
		})
	})
	t.Run("Recovery", func(t *testing.T) {
		mfatest.TestRecoveryStore(t, func(*testing.T) mfa.RecoveryStore {
			return mfa.NewMemoryStore()
		})
	})
	t.Run("WebAuthn", func(t *testing.T) {
		mfatest.TestWebAuthnStore(t, func(*testing.T) mfa.WebAuthnStore {
			return &mfa.MemoryStore{}
		})
	})
}
