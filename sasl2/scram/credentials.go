package scram

import (
	"bytes"
	"crypto"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/xdg-go/stringprep"
)

// DefaultIterations is the iteration count used when none is configured,
// the minimum that RFC 7677 recommends.
const DefaultIterations = 4096

// saltLen is the length of the salts that NewCredentials draws, and of the
// salts made up for unknown users, so that the two look alike.
const saltLen = 16

// Credentials is what a server stores for one user and one hash (RFC 5802
// §3): enough to verify a client and to prove itself, but not to
// impersonate the user to another server that shares the salt. StoredKey and
// ServerKey are secret; a thief who holds them and overhears one exchange
// can log in.
type Credentials struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// errPassword reports a password that SASLprep refuses. It does not say
// which character, since that would put part of a secret into logs.
var errPassword = errors.New(
	"scram: password is empty or has a character that SASLprep prohibits")

// Derive computes the credentials for password with the given salt and
// iteration count. The password is prepared with SASLprep first (RFC 5802
// §2.2, Normalize), so that "pass\u00A0word" and "pass word" derive the same
// keys; a character that SASLprep prohibits, such as a control character,
// is an error and no credentials are derived.
func Derive(h crypto.Hash, password string, salt []byte, iterations int) (Credentials, error) {
	salted, err := saltedPassword(h, password, salt, iterations)
	if err != nil {
		return Credentials{}, err
	}
	_, stored, server := keys(h, salted)
	return Credentials{
		Salt:       bytes.Clone(salt),
		Iterations: iterations,
		StoredKey:  stored,
		ServerKey:  server,
	}, nil
}

// NewCredentials derives credentials for password with a fresh 16-byte salt
// read from r (crypto/rand when nil). Zero iterations means
// DefaultIterations.
func NewCredentials(h crypto.Hash, password string, iterations int, r io.Reader) (Credentials, error) {
	if iterations == 0 {
		iterations = DefaultIterations
	}
	if r == nil {
		r = rand.Reader
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(r, salt); err != nil {
		return Credentials{}, fmt.Errorf("scram: reading salt: %w", err)
	}
	return Derive(h, password, salt, iterations)
}

// Verify reports whether password matches c for hash h, in constant time.
// It runs PBKDF2 with c's iteration count, so it costs what a SCRAM client
// pays; PLAIN servers use it through PlainVerifier.
func (c Credentials) Verify(h crypto.Hash, password string) bool {
	if !c.valid(h) {
		return false
	}
	d, err := Derive(h, password, c.Salt, c.Iterations)
	if err != nil {
		return false
	}
	ok := subtle.ConstantTimeCompare(d.StoredKey, c.StoredKey)
	ok &= subtle.ConstantTimeCompare(d.ServerKey, c.ServerKey)
	return ok == 1
}

// valid reports whether c is usable with h: a store that returns anything
// else fails the exchange closed.
func (c Credentials) valid(h crypto.Hash) bool {
	return supported(h) && len(c.Salt) > 0 && c.Iterations > 0 &&
		len(c.StoredKey) == h.Size() && len(c.ServerKey) == h.Size()
}

// saltedPassword computes SaltedPassword := Hi(Normalize(password), salt, i)
// (RFC 5802 §3).
func saltedPassword(h crypto.Hash, password string, salt []byte, iterations int) ([]byte, error) {
	if !supported(h) {
		return nil, fmt.Errorf("scram: unsupported hash %v", h)
	}
	if len(salt) == 0 {
		return nil, errors.New("scram: empty salt")
	}
	if iterations < 1 {
		return nil, fmt.Errorf("scram: iteration count %d", iterations)
	}
	p, err := prepare(password)
	if err != nil {
		return nil, err
	}
	return pbkdf2.Key(h.New, p, salt, iterations, h.Size())
}

// prepare applies SASLprep to a password (RFC 4013, stored strings: map,
// normalise with NFKC, prohibit, check bidirectional text).
func prepare(password string) (string, error) {
	if !utf8.ValidString(password) {
		return "", errPassword
	}
	p, err := stringprep.SASLprep.Prepare(password)
	if err != nil || p == "" {
		return "", errPassword
	}
	return p, nil
}
