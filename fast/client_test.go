package fast

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/sasl2"
)

// inject puts tok into the server's <success>, replacing any token there.
func inject(tok string) func(string) string {
	return func(s string) string {
		s = regexp.MustCompile(`<token [^>]*></token>`).ReplaceAllString(s, "")
		return strings.Replace(s, "<authorization-identifier",
			tok+"<authorization-identifier", 1)
	}
}

// BC-23.
func TestClientKeepsTokens(t *testing.T) {
	instant := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		token string
		// stored is false when fast-token-ONE must stay current.
		stored bool
	}{
		{"an expiry in UTC is kept", `<token xmlns='urn:xmpp:fast:0' token='fast-token-TWO' expiry='2030-01-02T03:04:05Z'/>`, true},
		{"an expiry with nine fraction digits is kept", `<token xmlns='urn:xmpp:fast:0' token='fast-token-TWO' expiry='2030-01-02T03:04:05.123456789Z'/>`, true},
		{"an expiry with an offset is kept", `<token xmlns='urn:xmpp:fast:0' token='fast-token-TWO' expiry='2030-01-02T05:04:05+02:00'/>`, true},
		{"an expiry without a zone is not kept", `<token xmlns='urn:xmpp:fast:0' token='fast-token-TWO' expiry='2030-01-02T03:04:05'/>`, false},
		{"an offset without a colon is not kept", `<token xmlns='urn:xmpp:fast:0' token='fast-token-TWO' expiry='2030-01-02T03:04:05+0200'/>`, false},
		{"a token that has expired is not kept", `<token xmlns='urn:xmpp:fast:0' token='fast-token-TWO' expiry='2001-01-01T00:00:00Z'/>`, false},
		{"a token without a token string is ignored", `<token xmlns='urn:xmpp:fast:0' expiry='2030-01-02T03:04:05Z'/>`, false},
		{"an empty token string is ignored", `<token xmlns='urn:xmpp:fast:0' token='' expiry='2030-01-02T03:04:05Z'/>`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name+" after a token login", func(t *testing.T) {
			f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
			f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
			f.keepOnly("fast-token-ONE", 0)
			o := f.login(login{editReply: inject(tc.token)})
			if !o.done {
				t.Fatalf("login: %v", o.err)
			}
			k := f.kept()
			if !tc.stored {
				if k.Current.Token != "fast-token-ONE" || k.Previous != nil {
					t.Errorf("kept %+v, %+v", k.Current, k.Previous)
				}
				return
			}
			if k.Current.Token != "fast-token-TWO" || k.Current.Count != 0 ||
				k.Current.Mechanism != "HT-SHA-256-NONE" ||
				!k.Current.Expiry.Truncate(time.Second).Equal(instant) {
				t.Errorf("current %+v", k.Current)
			}
			if k.Previous == nil || k.Previous.Token != "fast-token-ONE" {
				t.Errorf("previous %+v", k.Previous)
			}
		})
	}
	t.Run("a token from a password login is kept with the mechanism asked for", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		o := f.login(login{editReply: inject(tests[1].token)})
		k := f.kept()
		if !o.done || k.Current == nil || k.Current.Token != "fast-token-TWO" ||
			k.Current.Mechanism != "HT-SHA-256-NONE" || k.Previous != nil {
			t.Errorf("kept %+v", k)
		}
	})
	t.Run("the count of a new token starts at 1 and rises with every login", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.login(login{})
		for _, want := range []string{`count="1"`, `count="2"`, `count="3"`} {
			o := f.login(login{})
			if !o.done || !strings.Contains(o.wire, want) {
				t.Fatalf("sent %s, want %s", o.wire, want)
			}
		}
	})
	t.Run("a token sent again keeps its count", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 6)
		tok := `<token xmlns='urn:xmpp:fast:0' token='fast-token-ONE' expiry='2030-01-02T03:04:05Z'/>`
		f.login(login{editReply: inject(tok)})
		if k := f.kept(); k.Current.Count != 7 || !k.Current.Expiry.Equal(instant) || k.Previous != nil {
			t.Errorf("kept %+v", k.Current)
		}
	})
}

func TestClientChoosesMechanism(t *testing.T) {
	all := Config{Mechanisms: []string{"HT-SHA-256-NONE", "HT-SHA-256-UNIQ",
		"HT-SHA-256-ENDP", "HT-SHA-512-NONE", "HT-SHA-512-EXPR", "HT-SHA3-512-ENDP"}}
	tests := []struct {
		name     string
		version  uint16
		bindings []string
		client   []string
		want     string
	}{
		{"tls-exporter is preferred, then SHA-512", tls.VersionTLS13,
			[]string{sasl2.TLSExporter, sasl2.TLSServerEndPoint}, nil, "HT-SHA-512-EXPR"},
		{"tls-server-end-point comes next", tls.VersionTLS13,
			[]string{sasl2.TLSServerEndPoint}, nil, "HT-SHA3-512-ENDP"},
		{"tls-unique serves on TLS 1.2", tls.VersionTLS12,
			[]string{sasl2.TLSUnique}, nil, "HT-SHA-256-UNIQ"},
		{"tls-unique never serves on TLS 1.3", tls.VersionTLS13,
			[]string{sasl2.TLSUnique}, nil, "HT-SHA-512-NONE"},
		{"without channel binding SHA-512 is preferred", tls.VersionTLS13,
			nil, nil, "HT-SHA-512-NONE"},
		{"the client's own list decides among the offered", tls.VersionTLS13,
			[]string{sasl2.TLSExporter}, []string{"HT-SHA-256-NONE", "HT-SHA-512-NONE"}, "HT-SHA-256-NONE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, all)
			if tc.version == tls.VersionTLS12 {
				f.tls12()
			}
			for _, b := range tc.bindings {
				f.bindings = append(f.bindings, sasl2.ChannelBinding{Type: b, Data: []byte(b)})
			}
			f.client.cfg.Mechanisms = tc.client
			o := f.login(login{})
			if !strings.Contains(o.wire, `mechanism="`+tc.want+`"`) {
				t.Fatalf("sent %s", o.wire)
			}
			// The token works on the next connection, with its mechanism.
			o = f.login(login{})
			if o.auth.Mechanism != tc.want || !o.done {
				t.Errorf("token login with %s: %s", o.auth.Mechanism, encode(t, o.reply))
			}
		})
	}
	t.Run("MongooseIM's SHA-3 spelling works end to end", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-3-256-NONE"}})
		if o := f.login(login{}); o.token() == "" {
			t.Fatalf("sent %s", o.wire)
		}
		if o := f.login(login{}); o.auth.Mechanism != "HT-SHA-3-256-NONE" || !o.done {
			t.Errorf("got %s", encode(t, o.reply))
		}
	})
	t.Run("the client's own list may spell SHA3 as MongooseIM does", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-512-NONE", "HT-SHA3-256-NONE"}})
		f.client.cfg.Mechanisms = []string{"HT-SHA-3-256-NONE", "HT-MD5-NONE"}
		if o := f.login(login{}); !strings.Contains(o.wire, `mechanism="HT-SHA3-256-NONE"`) {
			t.Errorf("sent %s", o.wire)
		}
	})
	t.Run("a token whose mechanism is not offered here is not used", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-EXPR", 0)
		f.keeper.Save(account, clientID, Kept{Current: &ClientToken{
			Token: "fast-token-ONE", Mechanism: "HT-SHA-256-EXPR", Expiry: f.now.Add(day)}})
		o := f.login(login{})
		if o.auth.Mechanism != plainMec {
			t.Errorf("logged in with %s", o.auth.Mechanism)
		}
	})
	t.Run("a token that <fast> does not offer here waits for a connection that does", func(t *testing.T) {
		exporter := sasl2.ChannelBinding{Type: sasl2.TLSExporter, Data: []byte("ekm")}
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.bindings = []sasl2.ChannelBinding{exporter}
		f.keeper.Save(account, clientID, Kept{Current: &ClientToken{
			Token: "fast-token-EXPR", Mechanism: "HT-SHA-256-EXPR", Expiry: f.now.Add(day)}})

		// The connection has tls-exporter, but the server's <fast> lists
		// only -NONE: the password, and a -NONE token beside the kept one.
		o := f.login(login{})
		if o.auth.Mechanism != plainMec || !o.done || o.token() == "" {
			t.Fatalf("logged in with %s: %s", o.auth.Mechanism, encode(t, o.reply))
		}
		k := f.kept()
		if k.Current.Mechanism != "HT-SHA-256-NONE" || k.Previous == nil ||
			k.Previous.Token != "fast-token-EXPR" || k.Previous.Count != 0 {
			t.Fatalf("kept %+v", k)
		}

		// A server that offers -EXPR takes it.
		g := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-EXPR"}})
		g.bindings = []sasl2.ChannelBinding{exporter}
		g.plant("user", "fast-token-EXPR", "HT-SHA-256-EXPR", 0)
		g.client = f.client
		if o := g.login(login{}); o.auth.Mechanism != "HT-SHA-256-EXPR" || !o.done {
			t.Errorf("logged in with %s: %s", o.auth.Mechanism, encode(t, o.reply))
		}
	})
}

func TestClientFailures(t *testing.T) {
	t.Run("a refused token falls back to the previous one, then to the password", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keeper.Save(account, clientID, Kept{
			Current:  &ClientToken{Token: "fast-token-BAD", Mechanism: "HT-SHA-256-NONE", Expiry: f.now.Add(day)},
			Previous: &ClientToken{Token: "fast-token-ONE", Mechanism: "HT-SHA-256-NONE", Expiry: f.now.Add(day)},
		})
		o := f.login(login{})
		if !errors.Is(o.err, ErrRejected) || !errors.Is(o.err, sasl2.Fail(sasl2.CredentialsExpired, "")) {
			t.Fatalf("got %v", o.err)
		}
		if o := f.login(login{}); !o.done || initialResponse(o) != irONE {
			t.Fatalf("second connection: %v", o.err)
		}
		f.store.Revoke(context.Background(), "user")
		if o := f.login(login{}); !errors.Is(o.err, ErrRejected) || f.client.HasToken() {
			t.Fatalf("third connection: %v", o.err)
		}
		if o := f.login(login{}); o.auth.Mechanism != plainMec || !o.done {
			t.Errorf("fourth connection used %s", o.auth.Mechanism)
		}
	})
	t.Run("a server answer that does not verify fails and keeps the token", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		o := f.login(login{editReply: func(s string) string {
			return regexp.MustCompile(`<additional-data>[^<]*`).ReplaceAllString(s, "<additional-data>AAAA")
		}})
		if o.err == nil || errors.Is(o.err, ErrRejected) || o.done {
			t.Fatalf("got %v", o.err)
		}
		if !f.client.HasToken() {
			t.Error("the token was dropped")
		}
	})
	t.Run("a success without the server's answer fails", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		o := f.login(login{editReply: func(s string) string {
			return regexp.MustCompile(`<additional-data>[^<]*</additional-data>`).ReplaceAllString(s, "")
		}})
		if o.err == nil || o.done {
			t.Fatalf("got %v", o.err)
		}
	})
	t.Run("a refused token that is no longer kept changes nothing", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		prev := &ClientToken{Token: "fast-token-ONE", Mechanism: "HT-SHA-256-NONE",
			Expiry: f.now.Add(day)}
		f.keeper.Save(account, clientID, Kept{Previous: prev})
		f.client.attempt = &attempt{token: ClientToken{Token: "fast-token-GONE"}}
		err := f.client.Failed(sasl2.Fail(sasl2.CredentialsExpired, ""))
		if k := f.kept(); !errors.Is(err, ErrRejected) || k.Current != nil ||
			k.Previous == nil || k.Previous.Token != "fast-token-ONE" {
			t.Errorf("got %v; kept %+v", err, k)
		}
	})
	for _, tc := range []struct {
		condition sasl2.Condition
		kept      bool
	}{
		{sasl2.InvalidMechanism, true},
		{sasl2.TemporaryAuthFailure, true},
		{sasl2.Aborted, true},
		{sasl2.NotAuthorized, false},
		{sasl2.CredentialsExpired, false},
	} {
		verb := "discards"
		if tc.kept {
			verb = "keeps"
		}
		t.Run(string(tc.condition)+" "+verb+" the token", func(t *testing.T) {
			f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
			f.keepOnly("fast-token-ONE", 1)
			f.client.attempt = &attempt{token: *f.kept().Current}
			failure := sasl2.Fail(tc.condition, "")
			err := f.client.Failed(failure)
			if !errors.Is(err, failure) || errors.Is(err, ErrRejected) == tc.kept {
				t.Errorf("got %v", err)
			}
			if f.client.HasToken() != tc.kept {
				t.Errorf("HasToken() = %v", f.client.HasToken())
			}
		})
	}
	t.Run("a token refused with invalid-mechanism works on the next connection", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		o := f.login(login{edit: func(s string) string {
			return strings.Replace(s, `mechanism="HT-SHA-256-NONE"`,
				`mechanism="HT-SHA-512-NONE"`, 1)
		}})
		if o.condition() != sasl2.InvalidMechanism || errors.Is(o.err, ErrRejected) {
			t.Fatalf("got %v", o.err)
		}
		if k := f.kept(); k.Current == nil || k.Current.Token != "fast-token-ONE" {
			t.Fatalf("kept %+v", k)
		}
		if o := f.login(login{}); !o.done || initialResponse(o) != irONE ||
			!strings.Contains(o.wire, `count="2"`) {
			t.Errorf("sent %s; got %s", o.wire, encode(t, o.reply))
		}
	})
	t.Run("a keeper that cannot save sends no count and the password instead", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		f.client.cfg.Keeper = brokenKeeper{f.keeper}
		o := f.login(login{})
		if o.auth.Mechanism != plainMec || !o.done {
			t.Fatalf("sent %s; got %s", o.auth.Mechanism, encode(t, o.reply))
		}
		if err := f.client.KeeperErr(); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("KeeperErr() = %v", err)
		}
		if k := f.kept(); k.Current.Count != 0 {
			t.Errorf("kept %+v", k.Current)
		}
	})
	t.Run("a keeper that cannot save fails no password login", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.client.cfg.Keeper = brokenKeeper{f.keeper}
		o := f.login(login{})
		if !o.done || o.err != nil || o.token() == "" {
			t.Fatalf("got %v, %s", o.err, encode(t, o.reply))
		}
		if f.client.KeeperErr() == nil || f.client.HasToken() {
			t.Errorf("KeeperErr() = %v; HasToken() = %v", f.client.KeeperErr(), f.client.HasToken())
		}
		// The next negotiation starts with a clean slate.
		f.client.cfg.Keeper = f.keeper
		if o := f.login(login{}); !o.done || f.client.KeeperErr() != nil {
			t.Errorf("got %v; KeeperErr() = %v", o.err, f.client.KeeperErr())
		}
	})
	t.Run("a keeper that cannot save fails no token login", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"},
			RotateAfter: RotateAlways})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		f.client.cfg.Keeper = &saveOnce{Keeper: f.keeper}
		o := f.login(login{})
		if initialResponse(o) != irONE || !o.done || o.token() == "" {
			t.Fatalf("got %v, %s", o.err, encode(t, o.reply))
		}
		if f.client.KeeperErr() == nil {
			t.Error("KeeperErr() = nil")
		}
	})
	t.Run("a client without a valid id neither asks for tokens nor uses them", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.client = NewClient(ClientConfig{Keeper: f.keeper, Account: account, ClientID: "{not-a-uuid}"})
		if o := f.login(login{clientID: "{not-a-uuid}"}); strings.Contains(o.wire, "urn:xmpp:fast:0") {
			t.Errorf("sent %s", o.wire)
		}
	})
}

// saveOnce saves once, then fails like brokenKeeper.
type saveOnce struct {
	Keeper
	saved bool
}

func (s *saveOnce) Save(account, clientID string, k Kept) error {
	if s.saved {
		return errors.New("disk full")
	}
	s.saved = true
	return s.Keeper.Save(account, clientID, k)
}

// brokenKeeper cannot save.
type brokenKeeper struct{ *MemoryKeeper }

func (brokenKeeper) Save(string, string, Kept) error { return errors.New("disk full") }

// No way of printing a token that a host might use in a log shows the
// token string.
func TestTokensDoNotPrintTheirSecret(t *testing.T) {
	const secret = "secret-token:fast-DO-NOT-PRINT"
	expiry := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ct := ClientToken{Token: secret, Mechanism: "HT-SHA-256-NONE",
		Expiry: expiry, Count: 3}
	is := Issued{Token: secret, Expiry: expiry}
	for _, v := range []any{ct, &ct, Kept{Current: &ct, Previous: &ct}, is, &is} {
		var b strings.Builder
		log := slog.New(slog.NewJSONHandler(&b, nil))
		log.Info("token", "value", v)
		for _, out := range []string{fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v),
			fmt.Sprintf("%#v", v), fmt.Sprintf("%s", v), b.String()} {
			if strings.Contains(out, secret) {
				t.Errorf("%T printed its secret: %s", v, out)
			}
		}
	}
	if got := ct.String(); !strings.Contains(got, "HT-SHA-256-NONE") ||
		!strings.Contains(got, "2030-01-02T03:04:05Z") || !strings.Contains(got, "Count:3") {
		t.Errorf("String() = %s", got)
	}
}

// Invalidate is for one negotiation, however it ends.
func TestClientInvalidateLastsOneNegotiation(t *testing.T) {
	for _, failed := range []bool{true, false} {
		name := "a logout that fails in Start leaves the next password login its token request"
		if !failed {
			name += ", when the host does not call Failed"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
			f.client.Invalidate()

			// No token and no password mechanism: Start fails before
			// anything is built.
			ss := sasl2.NewServer(f.serverConfig(), f.conn())
			feat, cb := ss.Features()
			cc := sasl2.NewClient(&sasl2.ClientConfig{
				UserAgent:  &sasl2.UserAgent{ID: clientID},
				Extensions: []sasl2.ClientExtension{f.client},
			}, f.conn())
			_, err := cc.Start(context.Background(),
				wire(t, feat).(*sasl2.Authentication), cb)
			if !errors.Is(err, sasl2.ErrNoMechanism) {
				t.Fatalf("Start: %v", err)
			}
			if failed {
				f.client.Failed(err)
			}

			o := f.login(login{})
			if !o.done || !strings.Contains(o.wire, "request-token") ||
				o.token() == "" {
				t.Errorf("sent %s; got %s", o.wire, encode(t, o.reply))
			}
		})
	}
	t.Run("a logout that logs in with the password asks the next for nothing", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.client.Invalidate()
		if o := f.login(login{}); !o.done || strings.Contains(o.wire, "request-token") {
			t.Fatalf("sent %s", o.wire)
		}
		if o := f.login(login{}); !o.done || o.token() == "" {
			t.Errorf("sent %s; got %s", o.wire, encode(t, o.reply))
		}
	})
}
