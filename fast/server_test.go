package fast

import (
	"context"
	"crypto/tls"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/sasl2"
)

const (
	day = 24 * time.Hour
	// irONE and irTWO are the BC-11 initial responses for fast-token-ONE
	// and fast-token-TWO, and addTWO the server's answer to irTWO.
	irONE  = "dXNlcgDucZBcN8aSC5Su/8SCLmjYYaPDSR69MEiuy1jOMCqsUg=="
	irTWO  = "dXNlcgCxQlTEiiUE8KCjYCg1NFdEjHGkMXeULcLSrag3yHcLbg=="
	addTWO = "6C06isXFIymPoGvznUqOHHiNDoaT6+NbHYkRrQsIs2A="
)

// keepOnly makes the client keep nothing but tok, as a client that lost
// the rest would.
func (f *fixture) keepOnly(tok string, count int64) {
	f.t.Helper()
	k := Kept{Current: &ClientToken{Token: tok, Mechanism: "HT-SHA-256-NONE",
		Expiry: f.now.Add(day), Count: count}}
	if err := f.keeper.Save(account, clientID, k); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) kept() Kept {
	k, _ := f.keeper.Load(account, clientID)
	return k
}

// slots returns the ids of the client's tokens in the store.
func (f *fixture) slots() (current, next string) {
	cur, nxt, _ := f.store.Tokens(context.Background(), "user", clientID)
	if cur != nil {
		current = cur.ID
	}
	if nxt != nil {
		next = nxt.ID
	}
	return current, next
}

func initialResponse(o *outcome) string { return b64(o.auth.InitialResponse) }

// BC-11, the nine steps in order, each on a new connection.
func TestRotationAndInvalidation(t *testing.T) {
	f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
	f.tokens = []string{"fast-token-ONE", "fast-token-TWO",
		"fast-token-THREE", "fast-token-FOUR"}
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("1. a password login with request-token gets T1", func(t *testing.T) {
		o := f.login(login{})
		if !strings.Contains(o.wire, "request-token") || o.token() != "fast-token-ONE" || !o.done {
			t.Fatalf("sent %s; got %s", o.wire, encode(t, o.reply))
		}
		if k := f.kept(); k.Current.Token != "fast-token-ONE" || k.Previous != nil {
			t.Errorf("kept %+v", k)
		}
		// The token records the mechanism that earned it.
		_, next, _ := f.store.Tokens(context.Background(), "user", clientID)
		if !slices.Equal(next.Factors, []string{plainMec}) {
			t.Errorf("factors %q", next.Factors)
		}
	})
	step("2. a login with T1 that is due gets T2 and leaves T1 valid", func(t *testing.T) {
		f.now = t0.Add(2 * day)
		f.events = nil
		o := f.login(login{})
		if initialResponse(o) != irONE {
			t.Errorf("initial response %s", initialResponse(o))
		}
		if o.token() != "fast-token-TWO" || !o.done {
			t.Fatalf("got %s", encode(t, o.reply))
		}
		if cur, nxt := f.slots(); cur == "" || nxt == "" {
			t.Errorf("slots %q %q", cur, nxt)
		}
		_, next, _ := f.store.Tokens(context.Background(), "user", clientID)
		if !slices.Equal(next.Factors, []string{plainMec}) {
			t.Errorf("the rotated token records %q", next.Factors)
		}
		want := []Event{{Kind: EventRotated, User: "user", ClientID: clientID,
			TokenID: next.ID, Mechanism: "HT-SHA-256-NONE", Expiry: next.Expiry}}
		if !slices.Equal(f.events, want) {
			t.Errorf("events %+v, want %+v", f.events, want)
		}
		if k := f.kept(); k.Current.Token != "fast-token-TWO" || k.Previous.Token != "fast-token-ONE" {
			t.Errorf("kept %+v", k)
		}
	})
	step("3. a client that lost T2 logs in with T1 and is sent T2 again", func(t *testing.T) {
		f.keepOnly("fast-token-ONE", 1)
		o := f.login(login{})
		if initialResponse(o) != irONE || !o.done {
			t.Fatalf("got %s", encode(t, o.reply))
		}
		if o.token() != "fast-token-TWO" {
			t.Errorf("token %q, want fast-token-TWO again", o.token())
		}
	})
	step("4. a login with T2 succeeds with the field case's answer", func(t *testing.T) {
		o := f.login(login{})
		if initialResponse(o) != irTWO || !o.done {
			t.Fatalf("sent %s, got %s", initialResponse(o), encode(t, o.reply))
		}
		if got := b64(o.success().AdditionalData); got != addTWO {
			t.Errorf("additional data %s", got)
		}
		if o.token() != "" {
			t.Errorf("a fresh token was rotated: %q", o.token())
		}
		if k := f.kept(); k.Current.Token != "fast-token-TWO" || k.Previous != nil {
			t.Errorf("kept %+v", k)
		}
	})
	step("5. T1 after T2 was used is credentials-expired", func(t *testing.T) {
		f.keepOnly("fast-token-ONE", 2)
		o := f.login(login{})
		if o.condition() != sasl2.CredentialsExpired {
			t.Fatalf("got %s", encode(t, o.reply))
		}
		if !errors.Is(o.err, ErrRejected) || f.client.HasToken() {
			t.Errorf("client: %v; still has a token: %v", o.err, f.client.HasToken())
		}
	})
	step("6. invalidate='1' with T2 succeeds and issues nothing although T2 is due", func(t *testing.T) {
		f.now = t0.Add(4 * day)
		f.keepOnly("fast-token-TWO", 1)
		f.events = nil
		f.client.Invalidate()
		o := f.login(login{edit: func(s string) string {
			return strings.Replace(s, `invalidate="true"`, `invalidate="1"`, 1)
		}})
		if !strings.Contains(o.wire, `invalidate="1"`) || !o.done || o.token() != "" {
			t.Fatalf("sent %s; got %s", o.wire, encode(t, o.reply))
		}
		if len(f.events) != 1 || f.events[0].Kind != EventInvalidated {
			t.Errorf("events %+v", f.events)
		}
		if f.client.HasToken() {
			t.Error("the client kept a token after logging out")
		}
	})
	step("7. T2 after its invalidation is credentials-expired", func(t *testing.T) {
		f.keepOnly("fast-token-TWO", 2)
		if o := f.login(login{}); o.condition() != sasl2.CredentialsExpired {
			t.Fatalf("got %s", encode(t, o.reply))
		}
	})
	step("8. invalidate with request-token issues T4, and T3 is then dead", func(t *testing.T) {
		if o := f.login(login{}); o.token() != "fast-token-THREE" {
			t.Fatalf("password login got %s", encode(t, o.reply))
		}
		f.client.Invalidate()
		rt := (&RequestToken{Mechanism: "HT-SHA-256-NONE"}).Element()
		o := f.login(login{extra: []sasl2.Element{rt}})
		if !strings.Contains(o.wire, "invalidate") || o.token() != "fast-token-FOUR" {
			t.Fatalf("sent %s; got %s", o.wire, encode(t, o.reply))
		}
		f.keepOnly("fast-token-THREE", 2)
		if o := f.login(login{}); o.condition() != sasl2.CredentialsExpired {
			t.Errorf("T3 got %s", encode(t, o.reply))
		}
	})
	step("9. a password login with <fast invalidate='true'/> touches no token", func(t *testing.T) {
		cur, nxt := f.slots()
		f.events = nil
		inv := mustElement(t, "<fast xmlns='urn:xmpp:fast:0' invalidate='true'/>")
		o := f.login(login{noFAST: true, extra: []sasl2.Element{inv}})
		if !o.done || o.token() != "" || len(f.events) != 0 {
			t.Fatalf("got %s; events %+v", encode(t, o.reply), f.events)
		}
		if c, n := f.slots(); c != cur || n != nxt {
			t.Errorf("slots changed from %q %q to %q %q", cur, nxt, c, n)
		}
	})
}

// BC-12.
func TestPolicy(t *testing.T) {
	t.Run("a token bound to -EXPR does not work with -NONE", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.bindings = []sasl2.ChannelBinding{{Type: sasl2.TLSExporter, Data: exporter}}
		f.plant("user", "fast-token-ONE", "HT-SHA-256-EXPR", 0)
		// The right token, for the wrong mechanism.
		f.keepOnly("fast-token-ONE", 0)
		o := f.login(login{})
		if o.auth.Mechanism != "HT-SHA-256-NONE" || o.condition() != sasl2.NotAuthorized {
			t.Fatalf("sent %s; got %s", o.auth.Mechanism, encode(t, o.reply))
		}
	})
	t.Run("no token is issued for a mechanism not advertised", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		for _, m := range []string{"HT-SHA-512-NONE", "HT-SHA-256-UNIQ", "NOT-A-MECH"} {
			rt := (&RequestToken{Mechanism: m}).Element()
			o := f.login(login{noFAST: true, extra: []sasl2.Element{rt}})
			if !o.done || o.token() != "" {
				t.Errorf("%s: got %s", m, encode(t, o.reply))
			}
		}
	})
	t.Run("no token is issued for -UNIQ on TLS 1.3", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-UNIQ", "HT-SHA-256-NONE"}})
		// A binding that should not exist on TLS 1.3 changes nothing.
		f.bindings = []sasl2.ChannelBinding{{Type: sasl2.TLSUnique, Data: []byte{1}}}
		rt := (&RequestToken{Mechanism: "HT-SHA-256-UNIQ"}).Element()
		o := f.login(login{noFAST: true, extra: []sasl2.Element{rt}})
		if !o.done || o.token() != "" {
			t.Errorf("got %s", encode(t, o.reply))
		}
	})
	t.Run("no token is issued without a user-agent id", func(t *testing.T) {
		f := newFixture(t, Config{})
		rt := (&RequestToken{Mechanism: "HT-SHA-256-NONE"}).Element()
		for _, id := range []string{"-", "not-a-uuid"} {
			o := f.login(login{noFAST: true, clientID: id, extra: []sasl2.Element{rt}})
			if !o.done || o.token() != "" {
				t.Errorf("id %q: got %s", id, encode(t, o.reply))
			}
		}
		if _, _, err := f.store.Tokens(context.Background(), "user", clientID); !errors.Is(err, ErrNotFound) {
			t.Errorf("store: %v", err)
		}
	})
	t.Run("a token login of a user with a second factor is never asked for tasks", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.bindings = []sasl2.ChannelBinding{{Type: sasl2.TLSExporter, Data: exporter}}
		f.plant("user", "fast-token-ONE", "HT-SHA-256-EXPR", 0)
		mfa := func(ctx context.Context, r *sasl2.Result) ([]sasl2.Alternatives, error) {
			if tok, ok := Used(r); ok && slices.Contains(tok.Factors, "TOTP") {
				return nil, nil
			}
			return []sasl2.Alternatives{{totp{}}}, nil
		}
		f.policy = mfa
		f.keeper.Save(account, clientID, Kept{Current: &ClientToken{
			Token: "fast-token-ONE", Mechanism: "HT-SHA-256-EXPR",
			Expiry: f.now.Add(day)}})
		o := f.login(login{})
		if o.auth.Mechanism != "HT-SHA-256-EXPR" || o.condition() != sasl2.CredentialsExpired {
			t.Fatalf("got %s", encode(t, o.reply))
		}

		// A token issued after the factor stands for it.
		f.plant("user", "fast-token-TWO", "HT-SHA-256-EXPR", 0, plainMec, "TOTP")
		f.keeper.Save(account, clientID, Kept{Current: &ClientToken{
			Token: "fast-token-TWO", Mechanism: "HT-SHA-256-EXPR",
			Expiry: f.now.Add(day)}})
		if o := f.login(login{}); o.success() == nil {
			t.Fatalf("got %s", encode(t, o.reply))
		}
	})
	t.Run("the features of a TLS 1.3 stream offer no -UNIQ and keep HT out of <authentication>", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.bindings = []sasl2.ChannelBinding{
			{Type: sasl2.TLSExporter, Data: exporter},
			{Type: sasl2.TLSUnique, Data: []byte{1}},
			{Type: sasl2.TLSServerEndPoint, Data: []byte{2}},
		}
		conn := f.conn()
		a, cb := sasl2.NewServer(f.serverConfig(), conn).Features()
		want := []string{"HT-SHA-512-EXPR", "HT-SHA-256-EXPR",
			"HT-SHA-512-ENDP", "HT-SHA-256-ENDP",
			"HT-SHA-512-NONE", "HT-SHA-256-NONE"}
		feat, err := ParseFeature(a.Inline[0])
		if err != nil || !slices.Equal(feat.Mechanisms, want) || feat.TLS0RTT {
			t.Errorf("<fast> offers %+v, %v", feat, err)
		}
		if !slices.Equal(a.Mechanisms, []string{plainMec}) ||
			!slices.Equal(conn.Advertised, []string{plainMec}) {
			t.Errorf("<authentication> lists %q; Advertised %q", a.Mechanisms, conn.Advertised)
		}
		if cb != nil || conn.AdvertisedBindings != nil {
			t.Errorf("XEP-0440 offered for HT: %+v", cb)
		}
	})
	t.Run("the features of a TLS 1.2 stream offer -UNIQ where it has tls-unique", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-UNIQ", "HT-SHA-256-NONE"}})
		f.tls12()
		f.bindings = []sasl2.ChannelBinding{{Type: sasl2.TLSUnique, Data: []byte{1}}}
		a, _ := sasl2.NewServer(f.serverConfig(), f.conn()).Features()
		feat, _ := ParseFeature(a.Inline[0])
		if !slices.Equal(feat.Mechanisms, []string{"HT-SHA-256-UNIQ", "HT-SHA-256-NONE"}) {
			t.Errorf("<fast> offers %q", feat.Mechanisms)
		}
	})
	t.Run("a TLS 1.2 session resumed without the extended master secret runs no HT", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		// What crypto/tls reports then: no TLSUnique, no tls-exporter.
		f.tls.Version, f.tls.DidResume = tls.VersionTLS12, true
		f.bindings = []sasl2.ChannelBinding{{Type: sasl2.TLSServerEndPoint, Data: []byte{2}}}
		if _, ok := f.srv.Advertise(f.conn()); ok {
			t.Error("<fast> offered")
		}
		if o := f.login(login{}); o.auth.Mechanism != plainMec || !o.done {
			t.Errorf("logged in with %s", o.auth.Mechanism)
		}

		// With it, crypto/tls reports TLSUnique, and HT runs.
		f.tls.TLSUnique = []byte("server finished")
		if o := f.login(login{}); o.auth.Mechanism != "HT-SHA-256-NONE" || !o.done {
			t.Errorf("logged in with %s", o.auth.Mechanism)
		}
	})
	t.Run("nothing is offered without TLS", func(t *testing.T) {
		f := newFixture(t, Config{})
		conn := f.conn()
		conn.TLS = nil
		if _, ok := f.srv.Advertise(conn); ok || len(f.srv.InlineMechanisms(conn)) > 0 {
			t.Error("FAST offered in the clear")
		}
	})
}

// totp is a task that nobody passes in these tests.
type totp struct{}

func (totp) Name() string { return "TOTP" }
func (totp) Start(context.Context, *sasl2.Result, []sasl2.Element) (sasl2.TaskStep, error) {
	return sasl2.TaskStep{}, sasl2.Fail(sasl2.NotAuthorized, "")
}
func (totp) Next(context.Context, []sasl2.Element) (sasl2.TaskStep, error) {
	return sasl2.TaskStep{}, sasl2.Fail(sasl2.NotAuthorized, "")
}

// BC-02 case 5, and the other requests a token login can get wrong.
func TestMalformedRequests(t *testing.T) {
	f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
	f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
	bind := "<bind xmlns='urn:xmpp:bind:0'><tag>ExampleClient</tag></bind>" +
		"<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>"
	auth := func(children string) string {
		return "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='HT-SHA-256-NONE'>" +
			"<initial-response>" + irONE + "</initial-response>" +
			"<user-agent id='" + clientID + "'/>" + children + "</authenticate>"
	}
	tests := []struct {
		name, auth string
		want       sasl2.Condition
	}{
		{"an HT login without <fast/> is malformed-request", auth(bind), sasl2.MalformedRequest},
		{"a count that is not a number is malformed-request",
			auth("<fast xmlns='urn:xmpp:fast:0' count='x'/>"), sasl2.MalformedRequest},
		{"a negative count is malformed-request",
			auth("<fast xmlns='urn:xmpp:fast:0' count='-1'/>"), sasl2.MalformedRequest},
		{"a count beyond xs:int is malformed-request",
			auth("<fast xmlns='urn:xmpp:fast:0' count='2147483648'/>"), sasl2.MalformedRequest},
		{"invalidate='yes' is malformed-request",
			auth("<fast xmlns='urn:xmpp:fast:0' invalidate='yes'/>"), sasl2.MalformedRequest},
		{"a token login without a user-agent id is not-authorized",
			strings.Replace(auth("<fast xmlns='urn:xmpp:fast:0'/>"), "id='"+clientID+"'", "", 1),
			sasl2.NotAuthorized},
		{"a token login from an unknown client is not-authorized",
			strings.Replace(auth("<fast xmlns='urn:xmpp:fast:0'/>"), clientID,
				"3f0d2b1a-9c8e-4f7a-8b6d-5e4c3b2a1f00", 1), sasl2.NotAuthorized},
		{"an initial response that is not HT is malformed-request",
			strings.Replace(auth("<fast xmlns='urn:xmpp:fast:0'/>"), irONE, "dXNlcg==", 1),
			sasl2.MalformedRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := f.conn()
			s := sasl2.NewServer(f.serverConfig(), conn)
			s.Features()
			out, err := s.Receive(context.Background(), decode(t, tc.auth))
			if err != nil {
				t.Fatal(err)
			}
			if fl, ok := out.(*sasl2.Failure); !ok || fl.Condition != tc.want {
				t.Fatalf("got %s", encode(t, out))
			}
			// The stream stays usable, and nothing was issued.
			if _, nxt := f.slots(); nxt != "" {
				t.Errorf("a token was issued")
			}
			out, _ = s.Receive(context.Background(), decode(t, auth("<fast xmlns='urn:xmpp:fast:0'/>")))
			if _, ok := out.(*sasl2.Success); !ok {
				t.Errorf("retry got %s", encode(t, out))
			}
		})
	}
}

// BC-23 case 7, and the count.
func TestTokenChecks(t *testing.T) {
	t.Run("an expired token is credentials-expired", func(t *testing.T) {
		f := newFixture(t, Config{})
		tok := f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.now = tok.Expiry
		f.keeper.Save(account, clientID, Kept{Current: &ClientToken{
			Token: "fast-token-ONE", Mechanism: "HT-SHA-256-NONE",
			Expiry: f.now.Add(time.Hour)}})
		if o := f.login(login{}); o.condition() != sasl2.CredentialsExpired {
			t.Fatalf("got %s", encode(t, o.reply))
		}
	})
	t.Run("a stolen request replayed with its count fails", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		o := f.login(login{})
		if !o.done {
			t.Fatalf("got %s", encode(t, o.reply))
		}
		replay := func(wire string) sasl2.Condition {
			s := sasl2.NewServer(f.serverConfig(), f.conn())
			s.Features()
			out, _ := s.Receive(context.Background(), decode(t, wire))
			if fl, ok := out.(*sasl2.Failure); ok {
				return fl.Condition
			}
			return ""
		}
		if c := replay(o.wire); c != sasl2.NotAuthorized {
			t.Errorf("replay: %q", c)
		}
		if c := replay(strings.Replace(o.wire, `count="1"`, `count="2"`, 1)); c != "" {
			t.Errorf("a higher count: %q", c)
		}
	})
	t.Run("a client without counts logs in again and again", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		for range 3 {
			f.keepOnly("fast-token-ONE", 0)
			o := f.login(login{edit: func(s string) string {
				return strings.Replace(s, ` count="1"`, "", 1)
			}})
			if !o.done {
				t.Fatalf("got %s", encode(t, o.reply))
			}
		}
	})
	t.Run("a client that sends a count only now and then logs in", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		if o := f.login(login{}); !o.done || !strings.Contains(o.wire, `count="1"`) {
			t.Fatalf("sent %s; got %s", o.wire, encode(t, o.reply))
		}
		o := f.login(login{edit: func(s string) string {
			return strings.Replace(s, ` count="2"`, "", 1)
		}})
		if strings.Contains(o.wire, "count") || !o.done {
			t.Fatalf("sent %s; got %s", o.wire, encode(t, o.reply))
		}
	})
	t.Run("the token record is the login's credential, without its secret", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 4)
		var got *Token
		f.policy = func(_ context.Context, r *sasl2.Result) ([]sasl2.Alternatives, error) {
			got, _ = Used(r)
			return nil, nil
		}
		f.login(login{})
		want := &Token{ID: "id-fast-token-ONE", User: "user", ClientID: clientID,
			Mechanism: "HT-SHA-256-NONE", Issued: t0, Expiry: t0.Add(DefaultTTL),
			Count: 5, Factors: []string{plainMec}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
		if _, ok := Used(&sasl2.Result{}); ok {
			t.Error("a password login used a token")
		}
	})
	t.Run("a storage error fails closed and issues nothing", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.srv.store = failingStore{f.store, "Issue", errDisk}
		o := f.login(login{})
		if o.condition() != sasl2.TemporaryAuthFailure || o.token() != "" {
			t.Fatalf("got %s", encode(t, o.reply))
		}
		if f.client.HasToken() {
			t.Error("the client kept a token")
		}
	})
}

// A client that logs out with its current token while a newer one waits
// leaves neither behind.
func TestLogoutInvalidatesBothSlots(t *testing.T) {
	f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
	f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
	f.pend("user", "fast-token-TWO", "HT-SHA-256-NONE")
	f.keepOnly("fast-token-ONE", 0)
	f.client.Invalidate()
	o := f.login(login{})
	if !o.done || o.token() != "" {
		t.Fatalf("got %s", encode(t, o.reply))
	}
	if cur, nxt := f.slots(); cur != "" || nxt != "" {
		t.Errorf("slots %q %q", cur, nxt)
	}
	var ids []string
	for _, e := range f.events {
		if e.Kind == EventInvalidated {
			ids = append(ids, e.TokenID)
		}
	}
	if !slices.Equal(ids, []string{"id-fast-token-ONE", "id-fast-token-TWO"}) ||
		len(f.events) != 2 {
		t.Errorf("events %+v", f.events)
	}
	f.keepOnly("fast-token-TWO", 0)
	if o := f.login(login{}); o.condition() != sasl2.CredentialsExpired {
		t.Errorf("the waiting token got %s", encode(t, o.reply))
	}
}

// The waiting token is sent again only to a client that logs in with the
// mechanism it is bound to: the client keeps a token from a token login
// as bound to the mechanism it used.
func TestResendKeepsTheMechanism(t *testing.T) {
	f := newFixture(t, Config{})
	f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
	f.pend("user", "fast-token-EXPR", "HT-SHA-256-EXPR")
	f.keepOnly("fast-token-ONE", 0)

	// No tls-exporter on this stream: the client logs in over -NONE.
	o := f.login(login{})
	if o.auth.Mechanism != "HT-SHA-256-NONE" || !o.done {
		t.Fatalf("sent %s; got %s", o.auth.Mechanism, encode(t, o.reply))
	}
	if tok := o.token(); tok == "" || tok == "fast-token-EXPR" {
		t.Fatalf("token %q, want a new one", tok)
	}
	cur, nxt, _ := f.store.Tokens(context.Background(), "user", clientID)
	if cur.ID != "id-fast-token-ONE" || nxt == nil ||
		nxt.Mechanism != "HT-SHA-256-NONE" {
		t.Errorf("slots %+v %+v", cur, nxt)
	}
	if len(f.events) != 1 || f.events[0].Kind != EventRotated ||
		f.events[0].Mechanism != "HT-SHA-256-NONE" {
		t.Errorf("events %+v", f.events)
	}

	// The new token works with the mechanism the client keeps it for.
	if o := f.login(login{}); !o.done || initialResponse(o) == irONE {
		t.Errorf("got %s", encode(t, o.reply))
	}
}

// An extension after FAST may still fail the login once FAST has done its
// part: the client never sees a token, so none may stay behind.
func TestLaterExtensionFails(t *testing.T) {
	t.Run("a token issued on a password login is taken back and not reported", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.after = []sasl2.Extension{failingExt{}}
		o := f.login(login{})
		if o.condition() != sasl2.TemporaryAuthFailure || o.token() != "" {
			t.Fatalf("got %s", encode(t, o.reply))
		}
		if cur, nxt := f.slots(); cur != "" || nxt != "" {
			t.Errorf("slots %q %q", cur, nxt)
		}
		if len(f.events) != 0 || f.client.HasToken() {
			t.Errorf("events %+v; client has a token: %v", f.events, f.client.HasToken())
		}
	})
	t.Run("a rotated token is taken back and the one used stays", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"},
			RotateAfter: RotateAlways})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		f.after = []sasl2.Extension{failingExt{}}
		if o := f.login(login{}); o.condition() != sasl2.TemporaryAuthFailure {
			t.Fatalf("got %s", encode(t, o.reply))
		}
		if cur, nxt := f.slots(); cur != "id-fast-token-ONE" || nxt != "" {
			t.Errorf("slots %q %q", cur, nxt)
		}
		if len(f.events) != 0 {
			t.Errorf("events %+v", f.events)
		}
		f.after = nil
		if o := f.login(login{}); !o.done || initialResponse(o) != irONE {
			t.Errorf("the token used no longer works: %s", encode(t, o.reply))
		}
	})
	t.Run("a logout stays done and reported", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		f.after = []sasl2.Extension{failingExt{}}
		f.client.Invalidate()
		if o := f.login(login{}); o.condition() != sasl2.TemporaryAuthFailure {
			t.Fatalf("got %s", encode(t, o.reply))
		}
		if cur, nxt := f.slots(); cur != "" || nxt != "" {
			t.Errorf("slots %q %q", cur, nxt)
		}
		if len(f.events) != 1 || f.events[0].Kind != EventInvalidated {
			t.Errorf("events %+v", f.events)
		}
	})
}

// A writer to the store without the key cannot move a sealed secret, nor
// rebind, extend or rename the token it belongs to: the secret no longer
// opens, and the client is sent back to its password.
func TestSealBindsTheToken(t *testing.T) {
	reseal := func(f *fixture, user, client string, t *Token) []byte {
		b, err := f.srv.sealer.Seal([]byte("fast-token-ONE"),
			associated(user, client, t))
		if err != nil {
			f.t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name   string
		mech   string
		tamper func(f *fixture, t *Token)
		want   sasl2.Condition
	}{
		{"an untouched token logs in", "HT-SHA-256-NONE",
			func(*fixture, *Token) {}, ""},
		{"a secret moved from another account is credentials-expired", "HT-SHA-256-NONE",
			func(f *fixture, t *Token) { t.Sealed = reseal(f, "other", clientID, t) },
			sasl2.CredentialsExpired},
		{"a secret moved from another client is credentials-expired", "HT-SHA-256-NONE",
			func(f *fixture, t *Token) {
				t.Sealed = reseal(f, "user", "3f0d2b1a-9c8e-4f7a-8b6d-5e4c3b2a1f00", t)
			}, sasl2.CredentialsExpired},
		{"a token rebound to a weaker mechanism is credentials-expired", "HT-SHA-256-EXPR",
			func(_ *fixture, t *Token) { t.Mechanism = "HT-SHA-256-NONE" },
			sasl2.CredentialsExpired},
		{"an extended expiry is credentials-expired", "HT-SHA-256-NONE",
			func(_ *fixture, t *Token) { t.Expiry = t.Expiry.Add(day) },
			sasl2.CredentialsExpired},
		{"a secret moved to another token id is credentials-expired", "HT-SHA-256-NONE",
			func(_ *fixture, t *Token) { t.ID = "id-fast-token-TWO" },
			sasl2.CredentialsExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.plant("user", "fast-token-ONE", tc.mech, 0)
			tc.tamper(f, f.store.users["user"][clientID][Current])
			f.keepOnly("fast-token-ONE", 0)
			o := f.login(login{})
			if o.auth.Mechanism != "HT-SHA-256-NONE" || o.condition() != tc.want {
				t.Errorf("sent %s; got %s", o.auth.Mechanism, encode(t, o.reply))
			}
		})
	}
}

// Every refusal tells the host's logs why, through sasl2.Event.Err, and
// the client no more than the condition.
func TestRefusalCauses(t *testing.T) {
	const other = "3f0d2b1a-9c8e-4f7a-8b6d-5e4c3b2a1f00"
	tests := []struct {
		name  string
		setup func(f *fixture) login
		want  error
	}{
		{"a login without a user-agent id", func(f *fixture) login {
			f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
			f.keepOnly("fast-token-ONE", 0)
			return login{edit: func(s string) string {
				return strings.Replace(s, ` id="`+clientID+`"`, "", 1)
			}}
		}, ErrUnknownClient},
		{"a login from a client the store does not know", func(f *fixture) login {
			f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
			f.keepOnly("fast-token-ONE", 0)
			return login{edit: func(s string) string {
				return strings.Replace(s, clientID, other, 1)
			}}
		}, ErrUnknownClient},
		{"a token used with another mechanism", func(f *fixture) login {
			f.plant("user", "fast-token-ONE", "HT-SHA-256-EXPR", 0)
			f.keepOnly("fast-token-ONE", 0)
			return login{}
		}, ErrWrongMechanism},
		{"a sealed secret that does not open", func(f *fixture) login {
			tok := f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
			f.store.users["user"][clientID][Current].Expiry = tok.Expiry.Add(day)
			f.keepOnly("fast-token-ONE", 0)
			return login{}
		}, ErrUnreadable},
		{"a token that matches none", func(f *fixture) login {
			f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
			f.keepOnly("fast-token-BAD", 0)
			return login{}
		}, ErrNoMatch},
		{"an expired token", func(f *fixture) login {
			tok := f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
			f.keepOnly("fast-token-ONE", 0)
			f.now = tok.Expiry
			f.keeper.Save(account, clientID, Kept{Current: &ClientToken{
				Token: "fast-token-ONE", Mechanism: "HT-SHA-256-NONE",
				Expiry: f.now.Add(day)}})
			return login{}
		}, ErrExpired},
		{"a count already processed", func(f *fixture) login {
			f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 5)
			f.keepOnly("fast-token-ONE", 4)
			return login{}
		}, ErrReplay},
		{"a login that lost the race for its token", func(f *fixture) login {
			f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
			f.keepOnly("fast-token-ONE", 0)
			f.srv.store = failingStore{f.store, "Use", ErrConflict}
			return login{}
		}, ErrReplay},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused with its cause", func(t *testing.T) {
			f := newFixture(t, Config{})
			o := f.login(tc.setup(f))
			fl, ok := o.reply.(*sasl2.Failure)
			if !ok || fl.Text != "" || strings.Contains(encode(t, o.reply), "fast:") {
				t.Fatalf("got %s", encode(t, o.reply))
			}
			if len(f.outcomes) == 0 {
				t.Fatal("no audit event")
			}
			e := f.outcomes[len(f.outcomes)-1]
			if e.Kind != sasl2.EventFailure || e.Condition != fl.Condition ||
				!errors.Is(e.Err, tc.want) {
				t.Errorf("event %+v, want the cause %v", e, tc.want)
			}
		})
	}
}

// A storage error fails the login closed, issues nothing and costs the
// client no token it meant to keep; a logout stands.
func TestStorageErrors(t *testing.T) {
	for _, method := range []string{"Tokens", "Use", "Invalidate"} {
		t.Run("an error in "+method+" is temporary-auth-failure", func(t *testing.T) {
			f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"},
				RotateAfter: RotateAlways})
			f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
			f.keepOnly("fast-token-ONE", 0)
			f.srv.store = failingStore{f.store, method, errDisk}
			if method == "Invalidate" {
				f.client.Invalidate()
			}
			o := f.login(login{})
			if o.condition() != sasl2.TemporaryAuthFailure || o.token() != "" {
				t.Fatalf("got %s", encode(t, o.reply))
			}
			if e := f.outcomes[len(f.outcomes)-1]; !errors.Is(e.Err, errDisk) {
				t.Errorf("event %+v", e)
			}
			if cur, nxt := f.slots(); cur != "id-fast-token-ONE" || nxt != "" {
				t.Errorf("slots %q %q", cur, nxt)
			}
			if len(f.events) != 0 || !f.client.HasToken() || errors.Is(o.err, ErrRejected) {
				t.Errorf("events %+v; client %v, has a token: %v",
					f.events, o.err, f.client.HasToken())
			}
		})
	}
	t.Run("a logout whose new token cannot be stored stays done and reported", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.keepOnly("fast-token-ONE", 0)
		f.srv.store = failingStore{f.store, "Issue", errDisk}
		f.client.Invalidate()
		rt := (&RequestToken{Mechanism: "HT-SHA-256-NONE"}).Element()
		o := f.login(login{extra: []sasl2.Element{rt}})
		if o.condition() != sasl2.TemporaryAuthFailure {
			t.Fatalf("got %s", encode(t, o.reply))
		}
		if cur, nxt := f.slots(); cur != "" || nxt != "" {
			t.Errorf("slots %q %q", cur, nxt)
		}
		if len(f.events) != 1 || f.events[0].Kind != EventInvalidated {
			t.Errorf("events %+v", f.events)
		}
	})
}

func TestRevoke(t *testing.T) {
	t.Run("Revoke empties every slot and reports it", func(t *testing.T) {
		f := newFixture(t, Config{Mechanisms: []string{"HT-SHA-256-NONE"}})
		f.plant("user", "fast-token-ONE", "HT-SHA-256-NONE", 0)
		f.pend("user", "fast-token-TWO", "HT-SHA-256-NONE")
		f.keepOnly("fast-token-ONE", 0)
		if err := f.srv.Revoke(context.Background(), "user"); err != nil {
			t.Fatal(err)
		}
		if cur, nxt := f.slots(); cur != "" || nxt != "" {
			t.Errorf("slots %q %q", cur, nxt)
		}
		if want := []Event{{Kind: EventRevoked, User: "user"}}; !slices.Equal(f.events, want) {
			t.Errorf("events %+v", f.events)
		}
		if o := f.login(login{}); o.condition() != sasl2.CredentialsExpired {
			t.Errorf("got %s", encode(t, o.reply))
		}
	})
	t.Run("a Revoke that fails says so and reports nothing", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.srv.store = failingStore{f.store, "Revoke", errDisk}
		err := f.srv.Revoke(context.Background(), "user")
		if !errors.Is(err, errDisk) || !strings.HasPrefix(err.Error(), "fast: ") {
			t.Errorf("err = %v", err)
		}
		if len(f.events) != 0 {
			t.Errorf("events %+v", f.events)
		}
	})
}

// failingStore fails one method with err and passes the others to the
// MemoryStore.
type failingStore struct {
	*MemoryStore
	method string
	err    error
}

func (s failingStore) Tokens(ctx context.Context, user, clientID string) (
	current, next *Token, err error) {
	if s.method == "Tokens" {
		return nil, nil, s.err
	}
	return s.MemoryStore.Tokens(ctx, user, clientID)
}

func (s failingStore) Issue(ctx context.Context, t *Token) error {
	if s.method == "Issue" {
		return s.err
	}
	return s.MemoryStore.Issue(ctx, t)
}

func (s failingStore) Use(ctx context.Context, user, clientID string,
	slot Slot, id string, count int64) error {
	if s.method == "Use" {
		return s.err
	}
	return s.MemoryStore.Use(ctx, user, clientID, slot, id, count)
}

func (s failingStore) Invalidate(ctx context.Context, user, clientID, id string) error {
	if s.method == "Invalidate" {
		return s.err
	}
	return s.MemoryStore.Invalidate(ctx, user, clientID, id)
}

func (s failingStore) Revoke(ctx context.Context, user string) error {
	if s.method == "Revoke" {
		return s.err
	}
	return s.MemoryStore.Revoke(ctx, user)
}

// errDisk is the storage failure of failingStore.
var errDisk = errors.New("store: disk full")

func TestNewServer(t *testing.T) {
	s, _ := NewAESGCM(testKey)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"a Config without a Store is refused", Config{Sealer: s}},
		{"a Config without a Sealer is refused", Config{Store: NewMemoryStore()}},
		{"an unknown mechanism is refused", Config{Store: NewMemoryStore(), Sealer: s,
			Mechanisms: []string{"HT-MD5-NONE"}}},
		{"a rotation age beyond the lifetime is refused", Config{Store: NewMemoryStore(), Sealer: s,
			TTL: day, RotateAfter: 2 * day}},
		{"a negative lifetime is refused", Config{Store: NewMemoryStore(), Sealer: s,
			TTL: -day}},
		{"a negative rotation age other than RotateAlways is refused", Config{Store: NewMemoryStore(), Sealer: s,
			RotateAfter: -2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewServer(tc.cfg); err == nil || !strings.HasPrefix(err.Error(), "fast: ") {
				t.Errorf("err = %v", err)
			}
		})
	}
	t.Run("RotateAlways is taken", func(t *testing.T) {
		_, err := NewServer(Config{Store: NewMemoryStore(), Sealer: s,
			RotateAfter: RotateAlways})
		if err != nil {
			t.Error(err)
		}
	})
}

// The <fast> feature and the mechanisms sasl2 runs come from one list,
// and a caller that changes its copy changes neither.
func TestInlineMechanismsMatchTheFeature(t *testing.T) {
	f := newFixture(t, Config{})
	f.bindings = []sasl2.ChannelBinding{{Type: sasl2.TLSExporter, Data: exporter}}
	conn := f.conn()
	mechs := f.srv.InlineMechanisms(conn)
	el, ok := f.srv.Advertise(conn)
	feat, err := ParseFeature(el)
	if !ok || err != nil {
		t.Fatalf("advertised %v, %v", ok, err)
	}
	var names []string
	for _, m := range mechs {
		names = append(names, m.Name())
	}
	if !slices.Equal(names, feat.Mechanisms) || len(names) != 4 {
		t.Errorf("InlineMechanisms %q, <fast> %q", names, feat.Mechanisms)
	}
	mechs[0] = nil
	_ = append(mechs[:1], nil)
	if again := f.srv.InlineMechanisms(conn); again[0] == nil || again[1] == nil {
		t.Error("a caller's change reached the Server")
	}
}
