package scram

import (
	"crypto"
	"crypto/hmac"
	// The hashes of the supported variants register themselves here.
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"strings"
)

// variant is one mechanism of the family: its hash and whether it binds
// the channel.
type variant struct {
	name string
	hash crypto.Hash
	plus bool
}

// variants lists the mechanisms strongest first: with channel binding
// before without, and longer hashes first within each.
var variants = []variant{
	{"SCRAM-SHA-512-PLUS", crypto.SHA512, true},
	{"SCRAM-SHA-256-PLUS", crypto.SHA256, true},
	{"SCRAM-SHA-1-PLUS", crypto.SHA1, true},
	{"SCRAM-SHA-512", crypto.SHA512, false},
	{"SCRAM-SHA-256", crypto.SHA256, false},
	{"SCRAM-SHA-1", crypto.SHA1, false},
}

func lookup(name string) (variant, bool) {
	for _, v := range variants {
		if v.name == name {
			return v, true
		}
	}
	return variant{}, false
}

// supported reports whether h is the hash of one of the variants.
func supported(h crypto.Hash) bool {
	return h == crypto.SHA1 || h == crypto.SHA256 || h == crypto.SHA512
}

// anyPlus reports whether a mechanism list offers channel binding.
func anyPlus(mechanisms []string) bool {
	for _, m := range mechanisms {
		if strings.HasSuffix(m, "-PLUS") {
			return true
		}
	}
	return false
}

// mac returns HMAC-H(key, msg).
func mac(h crypto.Hash, key, msg []byte) []byte {
	m := hmac.New(h.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// sum returns H(b).
func sum(h crypto.Hash, b []byte) []byte {
	d := h.New()
	d.Write(b)
	return d.Sum(nil)
}

// keys derives ClientKey, StoredKey and ServerKey from SaltedPassword
// (RFC 5802 §3).
func keys(h crypto.Hash, salted []byte) (client, stored, server []byte) {
	client = mac(h, salted, []byte("Client Key"))
	return client, sum(h, client), mac(h, salted, []byte("Server Key"))
}
