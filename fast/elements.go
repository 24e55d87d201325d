package fast

import (
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/xmppauth/xmppauth/sasl2"
)

// NS is the namespace of XEP-0484 elements.
const NS = "urn:xmpp:fast:0"

// Feature is the FAST feature, the <fast> child of the SASL2 <inline>
// (XEP-0484 §3.1). The same element name marks a token authentication;
// that role is Auth.
type Feature struct {
	// Mechanisms lists the HT mechanisms that tokens may be requested for
	// and used with on this stream, in the order advertised.
	Mechanisms []string
	// TLS0RTT reports that the server accepts authentication in TLS 1.3
	// early data. This package never offers it: Go's crypto/tls has no
	// 0-RTT for TCP connections, on either side.
	TLS0RTT bool
}

// Element returns f as <fast xmlns='urn:xmpp:fast:0'>.
func (f *Feature) Element() sasl2.Element {
	e := element("fast")
	if f.TLS0RTT {
		e.Attr = []xml.Attr{attr("tls-0rtt", "true")}
	}
	e.Children = make([]sasl2.Element, len(f.Mechanisms))
	for i, m := range f.Mechanisms {
		e.Children[i] = element("mechanism")
		e.Children[i].Text = m
	}
	return e
}

// ParseFeature reads the FAST feature from e. Mechanisms keeps every
// non-empty <mechanism>, whether this package implements it or not.
func ParseFeature(e sasl2.Element) (*Feature, error) {
	if !is(e, "fast") {
		return nil, errors.New("fast: not a <fast> feature")
	}
	tls0rtt, err := parseBool(e.Attribute("tls-0rtt"))
	if err != nil {
		return nil, err
	}
	f := &Feature{TLS0RTT: tls0rtt}
	for _, c := range e.Children {
		if is(c, "mechanism") {
			if m := strings.TrimSpace(c.Text); m != "" {
				f.Mechanisms = append(f.Mechanisms, m)
			}
		}
	}
	return f, nil
}

// RequestToken is the client's <request-token> in <authenticate>: issue a
// token for Mechanism once this authentication succeeds (XEP-0484 §3.2).
type RequestToken struct {
	// Mechanism is the HT mechanism the token will be bound to; it must
	// be one the server advertised in <fast>.
	Mechanism string
}

// Element returns r as <request-token xmlns='urn:xmpp:fast:0'>.
func (r *RequestToken) Element() sasl2.Element {
	e := element("request-token")
	e.Attr = []xml.Attr{attr("mechanism", r.Mechanism)}
	return e
}

// ParseRequestToken reads <request-token> from e. The mechanism attribute
// is required.
func ParseRequestToken(e sasl2.Element) (*RequestToken, error) {
	if !is(e, "request-token") {
		return nil, errors.New("fast: not a <request-token>")
	}
	m := e.Attribute("mechanism")
	if m == "" {
		return nil, errors.New("fast: <request-token> without a mechanism")
	}
	return &RequestToken{Mechanism: m}, nil
}

// Auth is the <fast> child of <authenticate> that marks an authentication
// with a token (XEP-0484 §3.3).
type Auth struct {
	// Count is the replay counter, 0 when absent. A client sends a count
	// that rises with every attempt with one token; the server refuses a
	// count not above the highest it processed for the token.
	Count int64
	// Invalidate asks the server to invalidate the token once the
	// authentication succeeds: a client logs out with it.
	Invalidate bool
}

// MaxCount is the highest count: the schema type is xs:int.
const MaxCount = 1<<31 - 1

// Element returns a as <fast xmlns='urn:xmpp:fast:0'>.
func (a *Auth) Element() sasl2.Element {
	e := element("fast")
	if a.Count > 0 {
		e.Attr = append(e.Attr,
			attr("count", strconv.FormatInt(a.Count, 10)))
	}
	if a.Invalidate {
		e.Attr = append(e.Attr, attr("invalidate", "true"))
	}
	return e
}

// ParseAuth reads the token-authentication marker from e. A count must be
// decimal digits up to MaxCount, and invalidate an xs:boolean ("true",
// "1", "false" or "0").
func ParseAuth(e sasl2.Element) (*Auth, error) {
	if !is(e, "fast") {
		return nil, errors.New("fast: not a <fast> element")
	}
	a := &Auth{}
	var err error
	if a.Invalidate, err = parseBool(e.Attribute("invalidate")); err != nil {
		return nil, err
	}
	if c := strings.TrimSpace(e.Attribute("count")); c != "" {
		if a.Count, err = parseCount(c); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// parseCount reads a count: digits only (no sign, which strconv would
// take), at most MaxCount.
func parseCount(s string) (int64, error) {
	bad := errors.New("fast: count is not an integer from 0 to 2147483647")
	if len(s) > 10 {
		return 0, bad
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > MaxCount {
		return 0, bad
	}
	return n, nil
}

// parseBool reads an xs:boolean; absent is false.
func parseBool(s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, errors.New("fast: attribute is not an xs:boolean")
}

// Issued is the <token> child of <success> that gives the client a new
// token (XEP-0484 §3.2, §3.4). Its String, GoString and LogValue leave the
// token string out.
type Issued struct {
	// Token is the token string: secret, to be kept like a password.
	Token string
	// Expiry is when the server stops accepting the token.
	Expiry time.Time
}

// String returns a description of i that leaves the token string out, so
// that %v and %+v never print it.
func (i Issued) String() string {
	return fmt.Sprintf("{Token:%s Expiry:%s}",
		redacted, i.Expiry.Format(time.RFC3339))
}

// GoString is String behind the type name, for %#v.
func (i Issued) GoString() string { return "fast.Issued" + i.String() }

// LogValue implements slog.LogValuer: the expiry, without the token string.
func (i Issued) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiry", i.Expiry))
}

// Element returns i as <token xmlns='urn:xmpp:fast:0'>, with the expiry in
// UTC as an XEP-0082 DateTime.
func (i *Issued) Element() sasl2.Element {
	e := element("token")
	e.Attr = []xml.Attr{
		attr("token", i.Token),
		attr("expiry", i.Expiry.UTC().Format(time.RFC3339)),
	}
	return e
}

// ParseIssued reads <token> from e. Both attributes are required; the
// expiry must be an XEP-0082 DateTime, with or without fractional
// seconds, and with a zone designator, "Z" or ±hh:mm. A token without one
// would be read in some arbitrary zone, or as never expiring, so it is
// refused.
func ParseIssued(e sasl2.Element) (*Issued, error) {
	if !is(e, "token") {
		return nil, errors.New("fast: not a <token>")
	}
	tok := e.Attribute("token")
	if tok == "" {
		return nil, errors.New("fast: <token> without a token")
	}
	exp, err := ParseDateTime(e.Attribute("expiry"))
	if err != nil {
		return nil, err
	}
	return &Issued{Token: tok, Expiry: exp}, nil
}

// ParseDateTime reads an XEP-0082 DateTime,
// CCYY-MM-DDThh:mm:ss[.sss]TZD, where the zone designator TZD is "Z" or
// ±hh:mm and the fraction has any number of digits (beyond nanoseconds
// they are dropped). The result is in UTC.
func ParseDateTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, errors.New("fast: not an XEP-0082 DateTime")
	}
	return t.UTC(), nil
}

func element(local string) sasl2.Element {
	return sasl2.Element{Name: xml.Name{Space: NS, Local: local}}
}

func attr(local, value string) xml.Attr {
	return xml.Attr{Name: xml.Name{Local: local}, Value: value}
}

func is(e sasl2.Element, local string) bool {
	return e.Name.Space == NS && e.Name.Local == local
}
