package scram

import (
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// attr is one attribute of a SCRAM message (RFC 5802 §5.1): a letter, '='
// and a value.
type attr struct {
	key   byte
	value string
}

// split cuts the next attribute off msg. ok is false for a field that is
// not an attribute; more is false after the last one.
func split(msg string) (a attr, rest string, more, ok bool) {
	field, rest, more := strings.Cut(msg, ",")
	if len(field) < 2 || field[1] != '=' || !alpha(field[0]) {
		return attr{}, "", false, false
	}
	return attr{field[0], field[2:]}, rest, more, true
}

func alpha(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// printable reports whether s is a valid nonce: one or more printable
// ASCII characters other than ',' (RFC 5802 §7).
func printable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ',' {
			return false
		}
	}
	return true
}

// cbName reports whether s is a channel-binding type name in a GS2 header:
// letters, digits, '.' and '-' (RFC 5802 §7).
func cbName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !alpha(c) && !('0' <= c && c <= '9') && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// unescape decodes a saslname: "=2C" is ',' and "=3D" is '=', and any other
// '=' is an error (RFC 5802 §5.1). The name must be non-empty UTF-8 without
// NUL.
func unescape(s string) (string, bool) {
	if s == "" || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return "", false
	}
	if strings.IndexByte(s, '=') < 0 {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1 : min(i+3, len(s))] {
		case "2C":
			b.WriteByte(',')
		case "3D":
			b.WriteByte('=')
		default:
			return "", false
		}
		i += 2
	}
	return b.String(), true
}

var escaper = strings.NewReplacer("=", "=3D", ",", "=2C")

// escape encodes a name as a saslname.
func escape(s string) string {
	return escaper.Replace(s)
}

// decode64 decodes a base64 attribute value, refusing anything but the
// canonical padded form.
func decode64(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return b, err == nil
}

// nonceBytes is how much randomness a nonce carries: 144 bits, encoded as
// 24 base64 characters, which are all valid nonce characters.
const nonceBytes = 18

// newNonce draws a nonce from r, crypto/rand when nil. A non-empty fixed
// nonce replaces it: tests use that to replay published vectors whose
// nonces no reader could produce.
func newNonce(r io.Reader, fixed string) (string, error) {
	if fixed != "" {
		return fixed, nil
	}
	if r == nil {
		r = rand.Reader
	}
	var b [nonceBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("scram: reading nonce: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b[:]), nil
}

// ssdp returns the XEP-0474 §3 hash of what was advertised, in base64:
// the mechanism names sorted by i;octet and joined by 0x1E, then, when
// XEP-0440 was advertised (bindings not nil), 0x1F and the channel-binding
// types sorted and joined the same way.
func ssdp(h crypto.Hash, mechanisms, bindings []string) string {
	return string(appendSSDP(nil, h, mechanisms, bindings))
}

// appendSSDP appends the hash that ssdp returns to dst.
func appendSSDP(dst []byte, h crypto.Hash, mechanisms, bindings []string) []byte {
	var buf [512]byte
	b := join(buf[:0], mechanisms)
	if bindings != nil {
		b = join(append(b, 0x1f), bindings)
	}
	d := h.New()
	d.Write(b)
	return base64.StdEncoding.AppendEncode(dst, d.Sum(buf[:0]))
}

// join appends names to b, sorted by i;octet and separated by 0x1E.
func join(b []byte, names []string) []byte {
	var arr [16]string
	sorted := append(arr[:0], names...)
	slices.Sort(sorted)
	for i, n := range sorted {
		if i > 0 {
			b = append(b, 0x1e)
		}
		b = append(b, n...)
	}
	return b
}
