package bind2

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// Resource lengths, in octets.
const (
	// MaxResource is the longest resourcepart (RFC 7622 §3.4).
	MaxResource = 1023
	// SuffixLen is the length of the server-generated part of a resource:
	// 12 base64url characters that carry 72 bits.
	SuffixLen = 12
	// MaxTag is the longest tag that goes into a resource, so that the tag,
	// "/" and the suffix stay within MaxResource. A longer tag is dropped.
	MaxTag = MaxResource - 1 - SuffixLen
)

// suffixBytes is how many bytes of a hash or of randomness the suffix
// encodes.
const suffixBytes = SuffixLen * 3 / 4

// resourceLabel separates resource derivation from any other use of the
// same secret.
const resourceLabel = "xmppauth bind2 resource v1"

// cleanTag returns the client's tag as it goes into a resource, and false when
// it must be dropped. XML white space around it is removed; the rest must
// be a valid resourcepart under the PRECIS OpaqueString profile (RFC 7622
// §3.4: valid UTF-8, no control characters, no unassigned or ignorable
// code points), which maps it to its canonical form, and at most MaxTag
// octets long.
func cleanTag(s string) (string, bool) {
	s = strings.Trim(s, " \t\r\n")
	if s == "" || len(s) > MaxTag || !utf8.ValidString(s) {
		return "", false
	}
	out, err := precis.OpaqueString.String(s)
	if err != nil || len(out) > MaxTag {
		return "", false
	}
	return out, true
}

// resource returns the resourcepart for a bind: tag "/" suffix, or the
// suffix alone without a tag. The suffix is an HMAC-SHA-256, keyed by the
// secret, of the bare JID, the canonical client id and the tag, so that it
// is stable for those three and reveals none of them, nor links the tags
// of one device. Without a secret or a client id it is random.
func (x *server) resource(bare, clientID, tag string) (string, error) {
	var suffix [suffixBytes]byte
	if len(x.cfg.Secret) > 0 && clientID != "" {
		m := x.macs.Get().(*mac)
		b := m.buf[:0]
		for _, field := range [...]string{resourceLabel, bare, clientID, tag} {
			b = binary.BigEndian.AppendUint32(b, uint32(len(field)))
			b = append(b, field...)
		}
		m.h.Reset()
		m.h.Write(b)
		copy(suffix[:], m.h.Sum(m.sum[:0]))
		clear(b)
		m.buf = b
		x.macs.Put(m)
	} else if _, err := io.ReadFull(x.rand(), suffix[:]); err != nil {
		return "", err
	}

	var b strings.Builder
	b.Grow(len(tag) + 1 + SuffixLen)
	if tag != "" {
		b.WriteString(tag)
		b.WriteByte('/')
	}
	var enc [SuffixLen]byte
	base64.RawURLEncoding.Encode(enc[:], suffix[:])
	b.Write(enc[:])
	return b.String(), nil
}

// mac is a keyed HMAC-SHA-256 with room for its input and output, reused
// across binds through server.macs. Its input is bounded: a bare JID, a
// client id and a tag of at most MaxTag octets.
type mac struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func newMAC(secret []byte) func() any {
	return func() any { return &mac{h: hmac.New(sha256.New, secret)} }
}

// bareJID returns jid without its resource.
func bareJID(jid string) string {
	bare, _, _ := strings.Cut(jid, "/")
	return bare
}

// ofAccount reports whether full is a full JID of the account of jid.
func ofAccount(full, jid string) bool {
	bare := bareJID(jid)
	res, ok := strings.CutPrefix(full, bare+"/")
	return ok && bare != "" && res != "" && len(res) <= MaxResource &&
		utf8.ValidString(res)
}
