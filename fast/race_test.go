package fast

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/xmppauth/xmppauth/sasl2"
)

// 64 connections present one token with one count at once, as a replayed
// 0-RTT request would: exactly one gets in.
func TestOneTokenOneCountOneLogin(t *testing.T) {
	f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
	f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
	const req = "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='HT-SHA-256-NONE'>" +
		"<initial-response>" + irONE + "</initial-response>" +
		"<user-agent id='" + clientID + "'/>" +
		"<fast xmlns='urn:xmpp:fast:0' count='1'/></authenticate>"
	cfg := f.serverConfig()

	const n = 64
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		a := decode(t, req)
		s := sasl2.NewServer(cfg, f.conn())
		s.Features()
		wg.Go(func() {
			<-start
			out, err := s.Receive(context.Background(), a)
			switch v := out.(type) {
			case *sasl2.Success:
				ok.Add(1)
			case *sasl2.Failure:
				if v.Condition == sasl2.NotAuthorized {
					refused.Add(1)
				}
			default:
				t.Errorf("got %T, %v", out, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || refused.Load() != n-1 {
		t.Errorf("%d logins succeeded and %d were refused", ok.Load(), refused.Load())
	}
}
