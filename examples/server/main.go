// Command server is a small XMPP client-to-server service built on the
// xmppauth library. It shows what a host does around the library: TLS with
// STARTTLS (RFC 6120 §5) and direct TLS (XEP-0368), SASL2 (XEP-0388) with
// SCRAM-SHA-512, -256 and -1, each with and without channel binding
// (XEP-0440), Bind 2 (XEP-0386) with Message Carbons and CSI inline, FAST
// reconnection tokens (XEP-0484), RFC 6120 resource binding for clients
// that do not use Bind 2, and routing of messages and presence between the
// accounts it serves. It keeps no rosters, stores nothing offline and does
// not federate.
//
// Accounts live in an SQLite database in the data directory, with SCRAM
// credentials (salt, iteration count, StoredKey, ServerKey) for SHA-1,
// SHA-256 and SHA-512 and never the password. On first run the server also
// writes a self-signed ECDSA P-256 certificate for its domain there
// (cert.pem, with key.pem readable by its owner only); clients trust it with
// -cafile.
//
// FAST tokens live in the same database, in the tables of
// fast/sqlitestore, sealed with a key drawn on first run into fast.key
// (readable by its owner only, and kept out of the database). A client
// that logged in once with its password and a user-agent id gets a token
// for the HT mechanism it asked for, and comes back with it in one round
// trip, also when its <authenticate> arrives right behind its stream
// header. Changing a password (adduser on an existing account, passwd,
// or -demo) revokes every token of the account, also while a server runs
// on the same data directory.
//
// Second factors (docs/mfa.md): every account that has enrolled one must
// pass it after its password, a TOTP code or a single-use recovery code,
// except in a FAST token login whose token remembers it. Clients enrol,
// list and remove their factors over IQ (docs/mfa.md §6; examples/client
// -enrol-totp); removing a factor or replacing recovery codes first needs
// a fresh step-up, and adding or removing one revokes the account's FAST
// tokens. The factors live in the accounts database too, in the tables of
// mfa/sqlitestore: TOTP secrets sealed, and recovery codes hashed, with
// keys derived from a second key drawn on first run, mfa.key. Losing
// mfa.key loses every second factor; losing fast.key only the tokens.
//
// Try it with the demo account:
//
//	go run ./examples/server -demo
//
// which prints the demo account's fresh password and the client command to
// use. Otherwise add accounts, reading the password from standard input,
// and start the server:
//
//	echo 'a long passphrase' | go run ./examples/server adduser alice@localhost
//	go run ./examples/server
//
// Add an account with TOTP: adduser -totp prints the otpauth URI on
// standard output and its QR code on standard error, then reads a code
// from the authenticator app on the line after the password (asking on
// the terminal when standard input has ended), so that a script can
// answer it too:
//
//	echo 'a long passphrase' | go run ./examples/server adduser -totp alice@localhost
//
// Change a password, which revokes the account's FAST tokens:
//
//	echo 'another passphrase' | go run ./examples/server passwd alice@localhost
//
// Flags:
//
//	-addr ADDR      listen for STARTTLS connections (default 127.0.0.1:5222;
//	                "" for none)
//	-tls-addr ADDR  listen for direct TLS connections (default
//	                127.0.0.1:5223; "" for none)
//	-domain NAME    the domain served (default localhost)
//	-data DIR       accounts, tokens, secrets and certificate (default
//	                ./xmppauth-data)
//	-demo           give demo@DOMAIN a new random password and print it
//	-totp           with adduser: enrol TOTP as well
//	-plain          also offer PLAIN over TLS (off by default, XEP-0388 §6)
//	-debug          log connections as they open and close
//
// The server logs with log/slog to standard error: logins and failed logins
// with the mechanism and a short hash of the client's user-agent id, and
// FAST tokens issued, rotated, invalidated and revoked, second factors
// passed, enrolled and removed, never a password, a code, a token or a
// SASL payload. SIGINT or SIGTERM closes the listeners,
// ends every stream with </stream:stream> and exits.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/xmppauth/xmppauth/examples/internal/passwd"
	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	terminal = passwd.OpenTerminal
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	addr, tlsAddr, domain, data string
	demo, plain, debug          bool
	totp                        bool     // adduser enrols TOTP
	args                        []string // the subcommand and its arguments
}

// terminal opens the terminal that adduser -totp asks for the code on
// when standard input has ended; main sets it, so that tests never wait
// for a person.
var terminal func() (io.ReadWriter, error)

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:5222", "listen for STARTTLS connections on `address` (\"\" for none)")
	fs.StringVar(&o.tlsAddr, "tls-addr", "127.0.0.1:5223", "listen for direct TLS connections on `address` (\"\" for none)")
	fs.StringVar(&o.domain, "domain", "localhost", "the `domain` served")
	fs.StringVar(&o.data, "data", "xmppauth-data", "`directory` of the accounts, tokens, secrets and certificate")
	fs.BoolVar(&o.demo, "demo", false, "give demo@DOMAIN a new random password and print it")
	fs.BoolVar(&o.plain, "plain", false, "also offer PLAIN over TLS")
	fs.BoolVar(&o.debug, "debug", false, "log connections as they open and close")
	fs.BoolVar(&o.totp, "totp", false, "with adduser: enrol TOTP, print its URI and QR code, and read a code after the password")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: server [flags]\n"+
			"       server [flags] adduser JID   (password on standard input)\n"+
			"       server [flags] adduser -totp JID   (then a code from the app on the next line)\n"+
			"       server [flags] passwd JID    (the same, for an existing account)\n")
		fs.PrintDefaults()
	}

	// Flags may come before and after the subcommand and its argument.
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		o.args = append(o.args, fs.Arg(0))
		args = fs.Args()[1:]
	}
	d, err := xmlstream.ParseJID(o.domain)
	if err != nil || d.Local != "" || d.Resource != "" {
		return nil, fmt.Errorf("server: bad domain %q", o.domain)
	}
	o.domain = d.Domain
	return o, nil
}

// run is the whole command, with its inputs and outputs as arguments so
// that tests can run it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if o.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return err
	}
	st, err := openStore(o.data)
	if err != nil {
		return err
	}
	defer st.Close()

	switch {
	case o.totp && (len(o.args) != 2 || o.args[0] != "adduser"):
		return errors.New("server: -totp goes with adduser")
	case len(o.args) == 0:
	case (o.args[0] == "adduser" || o.args[0] == "passwd") && len(o.args) == 2:
		return setPassword(ctx, st, o, o.args[0] == "adduser", o.args[1], stdin, stdout, stderr)
	default:
		return fmt.Errorf("server: unknown command %q; try -help", strings.Join(o.args, " "))
	}

	srv, err := setup(ctx, o, st, log)
	if err != nil {
		return err
	}
	plainLn, directLn, err := listen(o.addr, o.tlsAddr)
	if err != nil {
		return err
	}
	for _, ln := range []net.Listener{plainLn, directLn} {
		if ln != nil {
			log.Info("listening", "addr", ln.Addr().String(), "tls", ln == directLn)
		}
	}
	if o.demo {
		if err := demo(ctx, st, srv, o, plainLn, directLn, stdout); err != nil {
			return err
		}
	}
	err = srv.serve(ctx, plainLn, directLn)
	log.Info("stopped")
	return err
}

// setup loads or creates the certificate and the server's secrets.
func setup(ctx context.Context, o *options, st *store, log *slog.Logger) (*server, error) {
	cert, path, created, err := certificate(o.data, o.domain, time.Now())
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if created {
		log.Info("created self-signed certificate", "domain", o.domain, "path", path)
	} else {
		log.Info("certificate", "domain", o.domain, "path", path, "expires", cert.Leaf.NotAfter.Format(time.DateOnly))
	}
	scramSecret, err := st.Secret(ctx, "scram")
	if err != nil {
		return nil, err
	}
	resourceSecret, err := st.Secret(ctx, "bind2")
	if err != nil {
		return nil, err
	}
	tokens, err := newTokens(o.data, st, log)
	if err != nil {
		return nil, err
	}
	factors, err := newMFA(o.data, o.domain, st, tokens, log)
	if err != nil {
		return nil, err
	}
	srv := newServer(serverConfig{
		Domain:         o.domain,
		Cert:           cert,
		Store:          st,
		SCRAMSecret:    scramSecret,
		ResourceSecret: resourceSecret,
		Plain:          o.plain,
		FAST:           tokens,
		Log:            log,
	})
	factors.enable(srv)
	return srv, nil
}

func listen(addr, tlsAddr string) (plain, direct net.Listener, err error) {
	if addr != "" {
		if plain, err = net.Listen("tcp", addr); err != nil {
			return nil, nil, err
		}
	}
	if tlsAddr != "" {
		if direct, err = net.Listen("tcp", tlsAddr); err != nil {
			if plain != nil {
				plain.Close()
			}
			return nil, nil, err
		}
	}
	if plain == nil && direct == nil {
		return nil, nil, errors.New("server: no address to listen on")
	}
	return plain, direct, nil
}

// setPassword creates an account (with create) or changes the password
// of an existing one. The password is the first line of standard input.
// A change revokes every FAST token of the account, in the database that
// a running server shares, so that no client gets in with a token it was
// given under the old password. With -totp, TOTP is enrolled and
// confirmed with the code on the next line before the password is set.
func setPassword(ctx context.Context, st *store, o *options, create bool, arg string, stdin io.Reader, stdout, stderr io.Writer) error {
	jid, err := xmlstream.ParseJID(arg)
	if err != nil || jid.Local == "" || jid.Resource != "" {
		return fmt.Errorf("server: %q is not a bare JID", arg)
	}
	if jid.Domain != o.domain {
		return fmt.Errorf("server: %s is not on %s; use -domain", jid, o.domain)
	}
	existed, err := st.Exists(ctx, jid.Local)
	if err != nil {
		return err
	}
	if !existed && !create {
		return fmt.Errorf("server: no account %s; use adduser", jid)
	}
	lines := passwd.NewLines(stdin)
	lines.Terminal = terminal
	if passwd.IsTerminal(stdin) {
		lines.Prompts = stderr
	}
	password, err := lines.Password()
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if o.totp {
		if err := enrolTOTP(ctx, st, o, jid, lines, stdout, stderr); err != nil {
			return err
		}
	}
	if err := st.SetPassword(ctx, jid.Local, password); err != nil {
		return err
	}
	if !existed {
		fmt.Fprintf(stdout, "added %s\n", jid)
		return nil
	}
	tokens, err := newTokens(o.data, st, nil)
	if err != nil {
		return err
	}
	if err := tokens.Revoke(ctx, jid.Local); err != nil {
		return fmt.Errorf("server: changed the password of %s, but its FAST tokens are not revoked: %w", jid, err)
	}
	fmt.Fprintf(stdout, "changed the password of %s and revoked its FAST tokens\n", jid)
	return nil
}

// demo gives demo@DOMAIN a fresh random password and prints it with the
// commands to connect. The password is printed, not logged, and not kept.
// The tokens of the last run's password are revoked.
func demo(ctx context.Context, st *store, srv *server, o *options, plain, direct net.Listener, stdout io.Writer) error {
	password := rand.Text()
	if err := st.SetPassword(ctx, "demo", password); err != nil {
		return err
	}
	if err := srv.fast.Revoke(ctx, "demo"); err != nil {
		return err
	}
	jid := "demo@" + o.domain
	connect := "-addr " + addrOf(plain)
	if plain == nil {
		connect = "-directtls -addr " + addrOf(direct)
	}
	client := fmt.Sprintf("echo '%s' | go run ./examples/client -jid %s %s -cafile %s",
		password, jid, connect, certPath(o.data))
	fmt.Fprintf(stdout, `Demo account %s, password for this run: %s

Connect and wait for messages:
  %s -listen

Send one from another terminal (a second installation, so a second resource):
  %s -data /tmp/xmppauth-client-2 -to %s -message hello

`, jid, password, client, client, jid)
	return nil
}

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}
