package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/examples/internal/xmppclient"
	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/sasl2"
)

// trips counts the round trips a client waits for: a read that follows a
// write of the client's waits for the server's answer. The count starts
// again at mark, which the client's TLS handshake calls once it has the
// server's certificate: what follows is the client's Finished and the
// stream.
type trips struct {
	mu    sync.Mutex
	wrote bool
	n     int
}

func (tr *trips) write() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.wrote = true
}

func (tr *trips) read() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.wrote {
		tr.n++
		tr.wrote = false
	}
}

func (tr *trips) mark() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.n, tr.wrote = 0, false
}

func (tr *trips) count() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.n
}

// countingConn is the client's TCP connection, under TLS, counting the
// direction switches.
type countingConn struct {
	net.Conn
	tr *trips
}

func (c countingConn) Write(p []byte) (int, error) {
	c.tr.write()
	return c.Conn.Write(p)
}

func (c countingConn) Read(p []byte) (int, error) {
	c.tr.read()
	return c.Conn.Read(p)
}

// fastConfig returns a configuration for user@localhost over direct TLS
// that keeps its FAST tokens in keeper, and the round trips of its
// connections after TLS.
func (ts *testServer) fastConfig(user string, keeper fast.Keeper) (xmppclient.Config, *trips) {
	tr := &trips{}
	cfg := ts.config(user)
	cfg.DirectTLS, cfg.Addr = true, ts.tls
	cfg.TLS.VerifyConnection = func(tls.ConnectionState) error {
		tr.mark()
		return nil
	}
	cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return countingConn{nc, tr}, nil
	}
	cfg.FAST = fast.NewClient(fast.ClientConfig{
		Keeper:   keeper,
		Account:  cfg.JID.Bare().String(),
		ClientID: cfg.UserAgent.ID,
	})
	return cfg, tr
}

// connect runs xmppclient.Connect. The password callback fails the test
// unless want is true: the password must not be asked for.
func (ts *testServer) connect(cfg xmppclient.Config, password string, want bool) *xmppclient.Session {
	ts.t.Helper()
	asked := false
	s, err := xmppclient.Connect(timeout(ts.t), cfg, func(refused error) (string, error) {
		asked = true
		return password, nil
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(func() { s.Close() })
	if asked != want {
		ts.t.Errorf("password asked for: %v, want %v", asked, want)
	}
	return s
}

func TestFASTReconnectionTakesOneRoundTrip(t *testing.T) {
	ts := startServer(t)
	cfg, tr := ts.fastConfig("alice", fast.NewMemoryKeeper())

	// The password login: stream header, <authenticate>, <response>.
	first := ts.connect(cfg, alicePassword, true)
	if first.Mechanism() != "SCRAM-SHA-512-PLUS" || !cfg.FAST.HasToken() {
		t.Fatalf("password login with %s, token kept %v", first.Mechanism(), cfg.FAST.HasToken())
	}
	if n := tr.count(); n != 3 {
		t.Errorf("password login: %d round trips after TLS, want 3", n)
	}
	first.Close()

	// The token login: the stream header and <authenticate> in one write,
	// the server's header, features and <success> in one answer.
	again := ts.connect(cfg, "", false)
	if again.Mechanism() != "HT-SHA-512-EXPR" {
		t.Errorf("reconnected with %s, want HT-SHA-512-EXPR", again.Mechanism())
	}
	if n := tr.count(); n != 1 {
		t.Errorf("token login: %d round trips after TLS, want 1", n)
	}
	if again.JID() != first.JID() || !again.BoundInline() {
		t.Errorf("token login bound %s (inline %v), the password login %s",
			again.JID(), again.BoundInline(), first.JID())
	}
	again.Close()

	logs := ts.logs.String()
	if !strings.Contains(logs, `msg="fast token issued"`) || strings.Contains(logs, "secret-token:") {
		t.Errorf("the log lacks the token's issue or holds a token:\n%s", logs)
	}

	// STARTTLS takes its own round trips before TLS, none after.
	cfg.DirectTLS, cfg.Addr = false, ts.plain
	ts.connect(cfg, "", false)
	if n := tr.count(); n != 1 {
		t.Errorf("token login after STARTTLS: %d round trips after TLS, want 1", n)
	}

	// Without pipelining the client waits for the features first.
	cfg.DirectTLS, cfg.Addr = true, ts.tls
	s := ts.dial(cfg)
	if err := s.Login(timeout(t), ""); err != nil {
		t.Fatal(err)
	}
	if n := tr.count(); n != 2 || !strings.HasPrefix(s.Mechanism(), "HT-") {
		t.Errorf("token login after the features: %d round trips after TLS with %s, want 2 with HT",
			n, s.Mechanism())
	}
}

// TestFASTTokenForAMechanismWithoutBinding is the example client's
// -fast-mechanism HT-SHA-256-NONE.
func TestFASTTokenForAMechanismWithoutBinding(t *testing.T) {
	ts := startServer(t)
	keeper := fast.NewMemoryKeeper()
	cfg, tr := ts.fastConfig("bob", keeper)
	cfg.FAST = fast.NewClient(fast.ClientConfig{
		Keeper: keeper, Account: "bob@localhost", ClientID: cfg.UserAgent.ID,
		Mechanisms: []string{"HT-SHA-256-NONE"},
	})
	ts.connect(cfg, bobPassword, true).Close()
	s := ts.connect(cfg, "", false)
	if s.Mechanism() != "HT-SHA-256-NONE" || tr.count() != 1 {
		t.Errorf("reconnected with %s in %d round trips", s.Mechanism(), tr.count())
	}
}

func TestFASTTokenIsRefusedOnceThePasswordChanges(t *testing.T) {
	ts := startServer(t)
	cfg, _ := ts.fastConfig("alice", fast.NewMemoryKeeper())
	ts.connect(cfg, alicePassword, true).Close()

	var out bytes.Buffer
	args := []string{"-data", ts.dir, "passwd", "alice@localhost"}
	if err := run(t.Context(), args, strings.NewReader("a new one\n"), &out, &out); err != nil {
		t.Fatal(err)
	}

	var refused error
	s, err := xmppclient.Connect(timeout(t), cfg, func(err error) (string, error) {
		refused = err
		return "a new one", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var f *sasl2.Failure
	if !errors.Is(refused, fast.ErrRejected) || !errors.As(refused, &f) ||
		f.Condition != sasl2.CredentialsExpired {
		t.Errorf("password asked for after %v, want the token refused with credentials-expired", refused)
	}
	if !strings.HasPrefix(s.Mechanism(), "SCRAM-") || !cfg.FAST.HasToken() {
		t.Errorf("logged in with %s, token kept %v; want the password and a new token",
			s.Mechanism(), cfg.FAST.HasToken())
	}
	s.Close()
	ts.connect(cfg, "", false).Close()
}

func TestFASTLogoutInvalidatesTheToken(t *testing.T) {
	ts := startServer(t)
	keeper := fast.NewMemoryKeeper()
	cfg, _ := ts.fastConfig("alice", keeper)
	ts.connect(cfg, alicePassword, true).Close()
	id, _ := cfg.UserAgent.ClientID()
	stolen, _ := keeper.Load("alice@localhost", id)

	logout := cfg
	logout.Logout = true
	s := ts.connect(logout, "", false)
	if !strings.HasPrefix(s.Mechanism(), "HT-") {
		t.Errorf("logged out with %s", s.Mechanism())
	}
	s.Close()
	if cfg.FAST.HasToken() {
		t.Error("a token is kept after the logout")
	}
	if _, err := xmppclient.Connect(timeout(t), logout, nil); !errors.Is(err, xmppclient.ErrNoToken) {
		t.Errorf("a second logout: %v, want ErrNoToken", err)
	}

	// The server no longer takes the token, even from a copy.
	copied := fast.NewMemoryKeeper()
	copied.Save("alice@localhost", id, stolen)
	thief, _ := ts.fastConfig("alice", copied)
	thief.UserAgent, thief.FAST = cfg.UserAgent, fast.NewClient(fast.ClientConfig{
		Keeper: copied, Account: "alice@localhost", ClientID: id,
	})
	thief.Logout = true
	_, err := xmppclient.Connect(timeout(t), thief, nil)
	var f *sasl2.Failure
	if !errors.Is(err, fast.ErrRejected) || !errors.As(err, &f) || f.Condition != sasl2.CredentialsExpired {
		t.Errorf("the invalidated token: %v, want credentials-expired", err)
	}
}

// TestFASTFailureThenPasswordOnTheSameStream is what xmpp.js does when
// its token is refused: it sends the password on the same stream.
func TestFASTFailureThenPasswordOnTheSameStream(t *testing.T) {
	ts := startServer(t)
	keeper := fast.NewMemoryKeeper()
	cfg, _ := ts.fastConfig("bob", keeper)
	id, _ := cfg.UserAgent.ClientID()
	keeper.Save("bob@localhost", id, fast.Kept{Current: &fast.ClientToken{
		Token: "secret-token:fast-made-up", Mechanism: "HT-SHA-256-NONE",
		Expiry: time.Now().Add(time.Hour),
	}})

	s := ts.dial(cfg)
	err := s.Login(timeout(t), "")
	var f *sasl2.Failure
	if !errors.Is(err, fast.ErrRejected) || !errors.As(err, &f) || f.Condition != sasl2.NotAuthorized {
		t.Fatalf("made-up token: %v, want not-authorized", err)
	}
	if err := s.Login(timeout(t), bobPassword); err != nil {
		t.Fatalf("the password after the refused token: %v", err)
	}
	if !cfg.FAST.HasToken() {
		t.Error("no token issued to the password login")
	}
}

func TestFASTTokenOutlivesARestart(t *testing.T) {
	dir := t.TempDir()
	ts := startServerIn(t, dir)
	keeper := fast.NewMemoryKeeper()
	cfg, _ := ts.fastConfig("alice", keeper)
	ts.connect(cfg, alicePassword, true).Close()
	ts.stop()

	key, err := os.Stat(filepath.Join(dir, fastKeyFile))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("sealing key: %v, mode %v", err, key.Mode())
	}
	ts = startServerIn(t, dir)
	cfg.Addr = ts.tls
	if s := ts.connect(cfg, "", false); !strings.HasPrefix(s.Mechanism(), "HT-") {
		t.Errorf("after the restart: %s", s.Mechanism())
	}
}
