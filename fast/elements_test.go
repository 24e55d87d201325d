package fast

import (
	"slices"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/internal/xmltest"
)

func TestParseDateTime(t *testing.T) {
	want := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name, in string
		ok       bool
		want     time.Time
	}{
		{"a UTC time without fraction parses", "2030-01-02T03:04:05Z", true, want},
		{"nine fraction digits are nanoseconds, not milliseconds", "2030-01-02T03:04:05.123456789Z", true,
			want.Add(123456789)},
		{"more fraction digits than nanoseconds are dropped", "2030-01-02T03:04:05.1234567891234Z", true,
			want.Add(123456789)},
		{"one fraction digit is tenths", "2030-01-02T03:04:05.5Z", true, want.Add(500 * time.Millisecond)},
		{"an offset is applied", "2030-01-02T05:04:05+02:00", true, want},
		{"a negative offset is applied", "2030-01-01T23:04:05-04:00", true, want},
		{"a time without a zone designator is refused", "2030-01-02T03:04:05", false, time.Time{}},
		{"an offset without a colon is refused", "2030-01-02T03:04:05+0200", false, time.Time{}},
		{"a lower-case designator is refused", "2030-01-02t03:04:05z", false, time.Time{}},
		{"a date alone is refused", "2030-01-02", false, time.Time{}},
		{"an empty value is refused", "", false, time.Time{}},
		{"hour 24 is refused", "2030-01-02T24:00:00Z", false, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDateTime(tc.in)
			if (err == nil) != tc.ok || !got.Equal(tc.want) {
				t.Errorf("got %v, %v", got, err)
			}
			if err == nil && got.Location() != time.UTC {
				t.Errorf("zone %v", got.Location())
			}
		})
	}
}

func TestElements(t *testing.T) {
	t.Run("a feature encodes and parses, tls-0rtt as xs:boolean", func(t *testing.T) {
		f := &Feature{Mechanisms: []string{"HT-SHA-256-EXPR", "HT-SHA-256-NONE"}}
		const want = "<fast xmlns='urn:xmpp:fast:0'><mechanism>HT-SHA-256-EXPR</mechanism>" +
			"<mechanism>HT-SHA-256-NONE</mechanism></fast>"
		if ok, d := xmltest.Equal(xmltest.Marshal(f.Element()), want); !ok {
			t.Error(d)
		}
		g, err := ParseFeature(mustElement(t, "<fast xmlns='urn:xmpp:fast:0' tls-0rtt='1'>"+
			"<mechanism> HT-SHA-256-ENDP </mechanism><mechanism/></fast>"))
		if err != nil || !g.TLS0RTT || !slices.Equal(g.Mechanisms, []string{"HT-SHA-256-ENDP"}) {
			t.Errorf("got %+v, %v", g, err)
		}
	})
	t.Run("XEP-0484 example 6 parses as count 123 and invalidate", func(t *testing.T) {
		a, err := ParseAuth(mustElement(t, "<fast xmlns='urn:xmpp:fast:0' count='123' invalidate='true'/>"))
		if err != nil || a.Count != 123 || !a.Invalidate {
			t.Errorf("got %+v, %v", a, err)
		}
		const want = "<fast xmlns='urn:xmpp:fast:0' count='123' invalidate='true'/>"
		if ok, d := xmltest.Equal(xmltest.Marshal(a.Element()), want); !ok {
			t.Error(d)
		}
	})
	t.Run("counts are decimal digits within xs:int", func(t *testing.T) {
		for in, ok := range map[string]bool{
			"0": true, "1": true, "2147483647": true, "007": true, " 5 ": true,
			"2147483648": false, "-1": false, "+1": false, "1e3": false,
			"０": false, "99999999999999999999": false, "0x10": false,
		} {
			_, err := ParseAuth(mustElement(t, "<fast xmlns='urn:xmpp:fast:0' count='"+in+"'/>"))
			if (err == nil) != ok {
				t.Errorf("count %q: %v", in, err)
			}
		}
	})
	t.Run("invalidate takes every xs:boolean and nothing else", func(t *testing.T) {
		for in, want := range map[string]bool{"true": true, "1": true, "false": false, "0": false} {
			a, err := ParseAuth(mustElement(t, "<fast xmlns='urn:xmpp:fast:0' invalidate='"+in+"'/>"))
			if err != nil || a.Invalidate != want {
				t.Errorf("%q: %+v, %v", in, a, err)
			}
		}
		for _, in := range []string{"yes", "TRUE", "on"} {
			if _, err := ParseAuth(mustElement(t, "<fast xmlns='urn:xmpp:fast:0' invalidate='"+in+"'/>")); err == nil {
				t.Errorf("%q accepted", in)
			}
		}
	})
	t.Run("a token encodes its expiry in UTC without fraction", func(t *testing.T) {
		i := &Issued{Token: "secret-token:fast-x",
			Expiry: time.Date(2030, 1, 2, 5, 4, 5, 0, time.FixedZone("", 7200))}
		const want = "<token xmlns='urn:xmpp:fast:0' token='secret-token:fast-x' expiry='2030-01-02T03:04:05Z'/>"
		if ok, d := xmltest.Equal(xmltest.Marshal(i.Element()), want); !ok {
			t.Error(d)
		}
	})
	t.Run("a token without a token string is refused", func(t *testing.T) {
		for _, in := range []string{
			"<token xmlns='urn:xmpp:fast:0' expiry='2030-01-02T03:04:05Z'/>",
			"<token xmlns='urn:xmpp:fast:0' token='' expiry='2030-01-02T03:04:05Z'/>",
			"<token xmlns='urn:xmpp:fast:0' token='x'/>",
		} {
			if _, err := ParseIssued(mustElement(t, in)); err == nil {
				t.Errorf("%s accepted", in)
			}
		}
	})
	t.Run("a request-token needs a mechanism", func(t *testing.T) {
		if _, err := ParseRequestToken(mustElement(t, "<request-token xmlns='urn:xmpp:fast:0'/>")); err == nil {
			t.Error("accepted")
		}
		r, err := ParseRequestToken(mustElement(t, "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-ENDP'/>"))
		if err != nil || r.Mechanism != "HT-SHA-256-ENDP" {
			t.Errorf("got %+v, %v", r, err)
		}
	})
	t.Run("elements in another namespace are not FAST's", func(t *testing.T) {
		e := mustElement(t, "<fast xmlns='urn:xmpp:fast:1'/>")
		if _, err := ParseAuth(e); err == nil {
			t.Error("ParseAuth accepted")
		}
		if _, err := ParseFeature(e); err == nil {
			t.Error("ParseFeature accepted")
		}
	})
}

func TestAESGCM(t *testing.T) {
	s, err := NewAESGCM(testKey)
	if err != nil {
		t.Fatal(err)
	}
	tok := &Token{ID: "id-1", Mechanism: "HT-SHA-256-NONE", Expiry: t0}
	ad := associated("user", clientID, tok)
	a, _ := s.Seal([]byte("fast-token-ONE"), ad)
	b, _ := s.Seal([]byte("fast-token-ONE"), ad)
	if slices.Equal(a, b) {
		t.Error("two seals of one secret are equal: the nonce repeats")
	}
	if p, err := s.Open(a, ad); err != nil || string(p) != "fast-token-ONE" {
		t.Errorf("open: %q, %v", p, err)
	}
	if _, err := s.Open(a, associated("other", clientID, tok)); err == nil {
		t.Error("opened for another user")
	}
	a[len(a)-1] ^= 1
	if _, err := s.Open(a, ad); err == nil {
		t.Error("opened a changed ciphertext")
	}
	if _, err := NewAESGCM(make([]byte, 10)); err == nil {
		t.Error("a 10-byte key was taken")
	}
}
