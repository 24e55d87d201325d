package fast

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
)

// NewAESGCM returns a Sealer that seals with AES-GCM under key, which must
// be 16, 24 or 32 bytes long (AES-128, -192 or -256; use 32). Each Seal
// draws a fresh 96-bit nonce from crypto/rand and puts it in front of the
// ciphertext; Open fails on any ciphertext or associated data that Seal
// did not produce under the same key.
//
// The key is secret: keep it out of the database that holds the tokens,
// and the same on every server node. Changing it makes every stored token
// unreadable, so that clients get credentials-expired and log in with
// their password again. The Sealer is safe for concurrent use. One key
// seals at most 2^32 tokens before the random nonces risk repeating.
func NewAESGCM(key []byte) (Sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errors.New("fast: AES-GCM key must be 16, 24 or 32 bytes")
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return aesGCM{aead}, nil
}

type aesGCM struct {
	aead cipher.AEAD
}

func (s aesGCM) Seal(plaintext, associated []byte) ([]byte, error) {
	return s.aead.Seal(nil, nil, plaintext, associated), nil
}

func (s aesGCM) Open(ciphertext, associated []byte) ([]byte, error) {
	p, err := s.aead.Open(nil, nil, ciphertext, associated)
	if err != nil {
		return nil, errors.New("fast: sealed token does not open")
	}
	return p, nil
}

// associated returns the data a token's secret is sealed with, which
// binds it to its account and client: user, NUL, clientID. Neither holds
// a NUL (an authcid cannot, and a client id is a UUID), so the encoding is
// unambiguous.
func associated(user, clientID string) []byte {
	ad := make([]byte, 0, len(user)+1+len(clientID))
	ad = append(append(append(ad, user...), 0), clientID...)
	return ad
}
