// Command server is a small XMPP client-to-server service built on the
// xmppauth library. It shows what a host does around the library: TLS with
// STARTTLS (RFC 6120 §5) and direct TLS (XEP-0368), SASL2 (XEP-0388) with
// SCRAM-SHA-512, -256 and -1, each with and without channel binding
// (XEP-0440), Bind 2 (XEP-0386) with Message Carbons and CSI inline, RFC 6120
// resource binding for clients that do not use Bind 2, and routing of
// messages and presence between the accounts it serves. It keeps no
// rosters, stores nothing offline and does not federate.
//
// Accounts live in an SQLite database in the data directory, with SCRAM
// credentials (salt, iteration count, StoredKey, ServerKey) for SHA-1,
// SHA-256 and SHA-512 and never the password. On first run the server also
// writes a self-signed ECDSA P-256 certificate for its domain there
// (cert.pem, with key.pem readable by its owner only); clients trust it with
// -cafile.
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
// Flags:
//
//	-addr ADDR      listen for STARTTLS connections (default 127.0.0.1:5222;
//	                "" for none)
//	-tls-addr ADDR  listen for direct TLS connections (default
//	                127.0.0.1:5223; "" for none)
//	-domain NAME    the domain served (default localhost)
//	-data DIR       accounts, secrets and certificate (default
//	                ./xmppauth-data)
//	-demo           give demo@DOMAIN a new random password and print it
//	-plain          also offer PLAIN over TLS (off by default, XEP-0388 §6)
//	-debug          log connections as they open and close
//
// The server logs with log/slog to standard error: logins and failed logins
// with the mechanism and a short hash of the client's user-agent id, never
// a password or a SASL payload. SIGINT or SIGTERM closes the listeners,
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
	args                        []string // the subcommand and its arguments
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:5222", "listen for STARTTLS connections on `address` (\"\" for none)")
	fs.StringVar(&o.tlsAddr, "tls-addr", "127.0.0.1:5223", "listen for direct TLS connections on `address` (\"\" for none)")
	fs.StringVar(&o.domain, "domain", "localhost", "the `domain` served")
	fs.StringVar(&o.data, "data", "xmppauth-data", "`directory` of the accounts, secrets and certificate")
	fs.BoolVar(&o.demo, "demo", false, "give demo@DOMAIN a new random password and print it")
	fs.BoolVar(&o.plain, "plain", false, "also offer PLAIN over TLS")
	fs.BoolVar(&o.debug, "debug", false, "log connections as they open and close")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: server [flags]\n       server [flags] adduser JID   (password on standard input)\n")
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
	case len(o.args) == 0:
	case o.args[0] == "adduser" && len(o.args) == 2:
		return addUser(ctx, st, o.domain, o.args[1], stdin, stdout)
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
		if err := demo(ctx, st, o, plainLn, directLn, stdout); err != nil {
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
	return newServer(serverConfig{
		Domain:         o.domain,
		Cert:           cert,
		Store:          st,
		SCRAMSecret:    scramSecret,
		ResourceSecret: resourceSecret,
		Plain:          o.plain,
		Log:            log,
	}), nil
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

// addUser creates an account or changes its password. The password is the
// first line of standard input.
func addUser(ctx context.Context, st *store, domain, arg string, stdin io.Reader, stdout io.Writer) error {
	jid, err := xmlstream.ParseJID(arg)
	if err != nil || jid.Local == "" || jid.Resource != "" {
		return fmt.Errorf("server: %q is not a bare JID", arg)
	}
	if jid.Domain != domain {
		return fmt.Errorf("server: %s is not on %s; use -domain", jid, domain)
	}
	password, err := passwd.Read(stdin)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	existed, err := st.Exists(ctx, jid.Local)
	if err != nil {
		return err
	}
	if err := st.SetPassword(ctx, jid.Local, password); err != nil {
		return err
	}
	if existed {
		fmt.Fprintf(stdout, "changed the password of %s\n", jid)
	} else {
		fmt.Fprintf(stdout, "added %s\n", jid)
	}
	return nil
}

// demo gives demo@DOMAIN a fresh random password and prints it with the
// commands to connect. The password is printed, not logged, and not kept.
func demo(ctx context.Context, st *store, o *options, plain, direct net.Listener, stdout io.Writer) error {
	password := rand.Text()
	if err := st.SetPassword(ctx, "demo", password); err != nil {
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
