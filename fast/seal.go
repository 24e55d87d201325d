package fast

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
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
		return nil, errors.New("fast: AES-GCM authentication failed")
	}
	return p, nil
}

// associated returns the data the secret of t is sealed with, which binds
// it to everything a server trusts the token for: the account user and
// the client clientID, which the caller gives, and the mechanism, id and
// expiry of t. A writer to the Store without the key can therefore
// neither move a sealed secret to another account, client or token, nor
// rebind a token to a weaker mechanism, nor extend its life: the secret
// no longer opens, and the login fails with credentials-expired.
//
// Each string is preceded by its length as a uvarint, and the expiry
// follows as big-endian Unix seconds (a Store keeps it to the second), so
// no two tokens share an encoding.
func associated(user, clientID string, t *Token) []byte {
	fields := [...]string{user, clientID, t.Mechanism, t.ID}
	n := 8
	for _, f := range fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	ad := make([]byte, 0, n)
	for _, f := range fields {
		ad = binary.AppendUvarint(ad, uint64(len(f)))
		ad = append(ad, f...)
	}
	return binary.BigEndian.AppendUint64(ad, uint64(t.Expiry.Unix()))
}
