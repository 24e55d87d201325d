package fast

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/xml"
	"strconv"
	"testing"

	"github.com/xmppauth/xmppauth/bind2"
	"github.com/xmppauth/xmppauth/sasl2"
)

// reauth is the <authenticate> of a reconnecting client: HT-SHA-256-EXPR
// with a count, its user agent and a Bind 2 request, as our client sends
// it. The initial response is for fast-token-ONE and the fake exporter
// data of the reference digest §3.7.
func reauth(b *testing.B) []byte {
	h, _ := lookup("HT-SHA-256-EXPR")
	ir := draft.initiator(h, "user", []byte("fast-token-ONE"), exporter)
	return []byte("<authenticate xmlns='urn:xmpp:sasl:2' " +
		"mechanism='HT-SHA-256-EXPR'><initial-response>" + b64(ir) +
		"</initial-response><user-agent id='" + clientID + "'>" +
		"<software>ExampleClient</software><device>phone</device>" +
		"</user-agent><bind xmlns='urn:xmpp:bind:0'><tag>ExampleClient" +
		"</tag></bind><fast xmlns='urn:xmpp:fast:0' count='1'/>" +
		"</authenticate>")
}

func decodeBytes(b *testing.B, raw []byte) any {
	d := xml.NewDecoder(bytes.NewReader(raw))
	tok, err := d.Token()
	if err != nil {
		b.Fatal(err)
	}
	v, err := sasl2.Decode(d, tok.(xml.StartElement))
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkServerFASTReauth is one server-side FAST re-authentication,
// from a decoded <authenticate> to an encoded <success>, with Bind 2
// binding a stable resource through a trivial hook, the memory store and
// AES-GCM sealing. The count in the request rises with every iteration,
// as a real client's does.
func BenchmarkServerFASTReauth(b *testing.B) {
	f := newFixture(b, Config{})
	f.bindings = []sasl2.ChannelBinding{{Type: sasl2.TLSExporter, Data: exporter}}
	f.plant("user", "fast-token-ONE", "HT-SHA-256-EXPR", 0)
	bind := bind2.New(bind2.Config{
		Secret: testKey,
		Bind: func(context.Context, *sasl2.Result, *bind2.Request) (*bind2.Bound, error) {
			return &bind2.Bound{}, nil
		},
	})
	cfg := &sasl2.Config{
		Mechanisms: []sasl2.Mechanism{plain{}},
		Extensions: []sasl2.Extension{bind, f.srv},
	}
	conn := f.conn()
	sasl2.NewServer(cfg, conn).Features()

	a := decodeBytes(b, reauth(b)).(*sasl2.Authenticate)
	count := &a.Extensions[len(a.Extensions)-1].Attr[0]
	ctx := context.Background()
	var out bytes.Buffer
	n := 0

	b.ReportAllocs()
	for b.Loop() {
		n++
		count.Value = strconv.Itoa(n)
		s := sasl2.NewServer(cfg, conn)
		reply, err := s.Receive(ctx, a)
		if _, ok := reply.(*sasl2.Success); !ok {
			b.Fatalf("got %#v, %v", reply, err)
		}
		out.Reset()
		if err := xml.NewEncoder(&out).Encode(reply); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorFASTReauth is what any server must do for the same login:
// decode the <authenticate> from bytes, and compute the two HMAC-SHA-256
// of HT, the client's proof and the server's answer.
func BenchmarkFloorFASTReauth(b *testing.B) {
	raw := reauth(b)
	token := []byte("fast-token-ONE")

	b.ReportAllocs()
	for b.Loop() {
		decodeBytes(b, raw)
		for _, label := range []string{"Initiator", "Responder"} {
			h := hmac.New(sha256.New, token)
			h.Write([]byte(label))
			h.Write(exporter)
			h.Sum(nil)
		}
	}
}
