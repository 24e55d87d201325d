package xmlstream

import (
	"errors"
	"strings"

	"golang.org/x/text/secure/precis"
)

// JID is an XMPP address (RFC 7622) in normalized form. The zero value is
// the empty address.
type JID struct {
	Local, Domain, Resource string
}

var errJID = errors.New("xmlstream: malformed JID")

// ParseJID splits and normalizes s: the localpart with the PRECIS
// UsernameCaseMapped profile, the domain in lower case without a trailing
// dot, the resource with OpaqueString. Internationalized domain names are
// compared as given; the examples need no more.
func ParseJID(s string) (JID, error) {
	var j JID
	rest := s
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest, j.Resource = rest[:i], rest[i+1:]
		if j.Resource == "" {
			return JID{}, errJID
		}
	}
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		rest, j.Local = rest[i+1:], rest[:i]
		if j.Local == "" {
			return JID{}, errJID
		}
	}
	j.Domain = strings.ToLower(strings.TrimSuffix(rest, "."))
	if j.Domain == "" || len(j.Domain) > 1023 || strings.ContainsAny(j.Domain, "@/ ") {
		return JID{}, errJID
	}

	var err error
	if j.Local != "" {
		if strings.ContainsAny(j.Local, "\"&'/:<>@") {
			return JID{}, errJID
		}
		if j.Local, err = precis.UsernameCaseMapped.String(j.Local); err != nil || len(j.Local) > 1023 {
			return JID{}, errJID
		}
	}
	if j.Resource != "" {
		if j.Resource, err = precis.OpaqueString.String(j.Resource); err != nil || len(j.Resource) > 1023 {
			return JID{}, errJID
		}
	}
	return j, nil
}

// Bare returns j without its resource.
func (j JID) Bare() JID {
	j.Resource = ""
	return j
}

// IsZero reports whether j is the empty address.
func (j JID) IsZero() bool { return j == JID{} }

// String returns the address in its text form.
func (j JID) String() string {
	s := j.Domain
	if j.Local != "" {
		s = j.Local + "@" + s
	}
	if j.Resource != "" {
		s += "/" + j.Resource
	}
	return s
}
