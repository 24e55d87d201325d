package fast

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/tls"
	"errors"
	"hash"
	"strings"
	"unicode/utf8"

	"github.com/xmppauth/xmppauth/sasl2"
)

// MaxAuthcid is the longest authentication identity, in octets, that an HT
// initiator message may carry: draft-schmaus-kitten-sasl-ht-09 §3.1 asks
// every implementation to accept 255.
const MaxAuthcid = 255

// ht is one HT mechanism: a hash and a channel-binding type.
type ht struct {
	// name is the mechanism name as offered, HT-<HASH>-<CB>, and
	// canonical the name in the IANA spelling of the hash.
	name, canonical string
	// newHash returns the hash function; size is its output length.
	newHash func() hash.Hash
	size    int
	// binding is the channel-binding type, "" for -NONE.
	binding string
	// rank orders mechanisms, strongest first.
	rank int
}

// hashes are the hashes of the HT mechanisms this package implements,
// strongest first.
var hashes = []struct {
	name string
	new  func() hash.Hash
}{
	{"SHA-512", sha512.New},
	{"SHA3-512", func() hash.Hash { return sha3.New512() }},
	{"SHA-384", sha512.New384},
	{"SHA3-256", func() hash.Hash { return sha3.New256() }},
	{"SHA-256", sha256.New},
}

// bindings map the channel-binding suffixes of HT names to the types of
// RFC 5929 and RFC 9266, strongest first (draft -09 §4).
var bindings = [...]struct{ suffix, binding string }{
	{"EXPR", sasl2.TLSExporter},
	{"ENDP", sasl2.TLSServerEndPoint},
	{"UNIQ", sasl2.TLSUnique},
	{"NONE", ""},
}

// mechanisms holds every HT mechanism by name, and names lists them
// strongest first: the channel binding counts before the hash, since
// XEP-0484 §7 asks clients to prefer channel binding.
var (
	mechanisms = map[string]*ht{}
	names      []string
)

func init() {
	for i, b := range bindings {
		for j, h := range hashes {
			m := &ht{
				name:    "HT-" + h.name + "-" + b.suffix,
				newHash: h.new,
				size:    h.new().Size(),
				binding: b.binding,
				rank:    i*len(hashes) + j,
			}
			m.canonical = m.name
			mechanisms[m.name] = m
			names = append(names, m.name)
		}
	}
}

// Mechanisms returns the names of every HT mechanism the package
// implements, strongest first: tls-exporter before tls-server-end-point
// before tls-unique before no channel binding, and within each SHA-512,
// SHA3-512, SHA-384, SHA3-256, SHA-256.
func Mechanisms() []string {
	return append([]string(nil), names...)
}

// lookup returns the HT mechanism called name. It also knows the spelling
// "SHA-3-256" that MongooseIM uses for "SHA3-256", and the result then
// carries that name, since the peer expects its own spelling back.
func lookup(name string) (*ht, bool) {
	if m, ok := mechanisms[name]; ok {
		return m, true
	}
	if rest, ok := strings.CutPrefix(name, "HT-SHA-3-"); ok {
		if m, ok := mechanisms["HT-SHA3-"+rest]; ok {
			alias := *m
			alias.name = name
			return &alias, true
		}
	}
	return nil, false
}

// usable reports whether m can run on c.
func (m *ht) usable(c *sasl2.Conn) bool {
	return usableBinding(c, m.binding)
}

// usableBinding reports whether an HT mechanism with the channel binding
// can run on c: over TLS, where c has the binding, and never tls-unique on
// TLS 1.3, where RFC 5929 does not define it. "" is no channel binding.
//
// Below TLS 1.3, draft-schmaus-kitten-sasl-ht-09 (Security
// Considerations) also asks for the extended master secret of RFC 7627 or
// a session that was not resumed. crypto/tls reports neither, but it sets
// TLSUnique exactly then: after a full handshake, and after a resumption
// only with the extended master secret. So no HT mechanism runs on an
// older TLS session without TLSUnique; -EXPR needs the extended master
// secret anyway, since Go refuses tls-exporter without it.
func usableBinding(c *sasl2.Conn, binding string) bool {
	switch {
	case c.TLS == nil:
		return false
	case c.TLS.Version < tls.VersionTLS13 && len(c.TLS.TLSUnique) == 0:
		return false
	case binding == "":
		return true
	case binding == sasl2.TLSUnique && c.TLS.Version >= tls.VersionTLS13:
		return false
	}
	_, ok := c.Binding(binding)
	return ok
}

// cbData returns the channel-binding data m needs on c: nil for -NONE.
func (m *ht) cbData(c *sasl2.Conn) []byte {
	if m.binding == "" {
		return nil
	}
	d, _ := c.Binding(m.binding)
	return d
}

// codec is the message format of one version of the HT draft. Draft -09,
// which XEP-0484 cites and every deployment speaks, is the only one. The
// IETF drafts that followed frame both messages differently and add
// key-value pairs (see the reference digest, §3.9); such a draft would be
// another codec, chosen by configuration, beside the same mechanisms.
type codec interface {
	// initiator returns the client's message for token and cb-data.
	initiator(m *ht, authcid string, token, cb []byte) []byte
	// parseInitiator splits the client's message into the
	// authentication identity and the client's proof of the token.
	parseInitiator(m *ht, msg []byte) (authcid string, proof []byte, err error)
	// proof returns the proof a client holding token sends.
	proof(m *ht, token, cb []byte) []byte
	// responder returns the server's message for token and cb-data.
	responder(m *ht, token, cb []byte) []byte
}

// draft09 is draft-schmaus-kitten-sasl-ht-09 §3:
//
//	initiator-msg = authcid NUL HMAC(token, "Initiator" || cb-data)
//	responder-msg = HMAC(token, "Responder" || cb-data)
//
// The key is the token string as the server sent it, never base64-decoded.
type draft09 struct{}

// draft is the codec in use.
var draft codec = draft09{}

var errMalformed = errors.New("fast: malformed HT message")

func (draft09) initiator(m *ht, authcid string, token, cb []byte) []byte {
	msg := make([]byte, 0, len(authcid)+1+m.size)
	msg = append(append(msg, authcid...), 0)
	return m.mac(msg, token, "Initiator", cb)
}

func (draft09) parseInitiator(m *ht, msg []byte) (string, []byte, error) {
	a, proof, ok := bytes.Cut(msg, []byte{0})
	if !ok || len(proof) != m.size {
		return "", nil, errMalformed
	}
	authcid := string(a)
	if !validAuthcid(authcid) {
		return "", nil, errMalformed
	}
	return authcid, proof, nil
}

func (draft09) proof(m *ht, token, cb []byte) []byte {
	return m.mac(make([]byte, 0, m.size), token, "Initiator", cb)
}

func (draft09) responder(m *ht, token, cb []byte) []byte {
	return m.mac(make([]byte, 0, m.size), token, "Responder", cb)
}

// validAuthcid reports whether a is an authentication identity HT can
// carry: 1 to MaxAuthcid octets of UTF-8 without NUL.
func validAuthcid(a string) bool {
	return len(a) > 0 && len(a) <= MaxAuthcid && utf8.ValidString(a) &&
		strings.IndexByte(a, 0) < 0
}

// mac appends HMAC-H(token, label || cb) to dst.
func (m *ht) mac(dst, token []byte, label string, cb []byte) []byte {
	h := hmac.New(m.newHash, token)
	h.Write([]byte(label))
	h.Write(cb)
	return h.Sum(dst)
}
