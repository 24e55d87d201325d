// Command client is a small XMPP client built on the xmppauth library. It
// connects with STARTTLS (or direct TLS), authenticates with SASL2 using
// the strongest SCRAM mechanism the server offers, channel binding
// included, binds a resource with Bind 2 (falling back to RFC 6120 binding
// when the server does not bind inline), prints the bound full JID on a
// line of its own, and then optionally sends one message, waits for
// messages, or both.
//
// The password is the first line of standard input. A user-agent id, a
// UUIDv4 drawn on first use, is kept in the data directory: with it the
// server gives this installation the same resource on every login.
//
// When the server offers FAST (XEP-0484), the password login also asks
// for a token, which is kept in the data directory (fast-tokens.json,
// readable by the owner only, replaced atomically on every change). While
// a token is kept, the client logs in with it and does not read standard
// input at all; it sends its <authenticate> right behind the stream header
// after TLS, so the login takes one round trip. If the server refuses the
// token (after a password change, say), the client forgets it, reads the
// password and logs in with it on a new connection. -logout logs in with
// the token, asks the server to invalidate it, forgets it here and exits.
//
// An account with a second factor (docs/mfa.md) answers a TOTP code at
// login: the line after the password, or, when standard input is a
// terminal, what is typed at the prompt on standard error. When standard
// input ends before the code, as with echo "$PASSWORD" |, the client asks
// on the terminal (/dev/tty), as ssh does. -recovery CODE answers with a
// recovery code instead. The FAST token of such a login remembers the
// factor: reconnecting with it asks for no code and reads nothing.
//
// After login, -enrol-totp enrols TOTP: it prints the otpauth URI on
// standard output and its QR code, drawn with half blocks, on standard
// error, then reads a code from the app and confirms it. The server then
// revokes the account's FAST tokens and the client forgets its own, so
// the next login takes the password and a code. -recovery-codes prints a
// new set of recovery codes, -factors lists the second factors, and
// -remove TYPE removes one; replacing codes and removing a factor first
// ask for a code again (a step-up), which must be a new one: a code works
// once.
//
// With the example server running (go run ./examples/server -demo prints
// the demo password):
//
//	echo "$PASSWORD" | go run ./examples/client -jid demo@localhost \
//	    -addr 127.0.0.1:5222 -cafile xmppauth-data/cert.pem -listen
//
//	echo "$PASSWORD" | go run ./examples/client -jid demo@localhost \
//	    -addr 127.0.0.1:5222 -cafile xmppauth-data/cert.pem \
//	    -data /tmp/xmppauth-client-2 -to demo@localhost -message hello
//
// Flags:
//
//	-jid JID         the account's bare JID (required)
//	-addr HOST:PORT  the server (default: the JID's domain on port 5222, or
//	                 5223 with -directtls)
//	-directtls       start with TLS instead of STARTTLS
//	-cafile FILE     a PEM certificate to trust (default: the system's roots)
//	-data DIR        where the user-agent id and tokens are kept (default:
//	                 xmppauth-client in the user's configuration directory)
//	-mechanism LIST  only use these SASL mechanisms, comma-separated; a
//	                 kept token is used only when its HT mechanism is
//	                 listed
//	-fast-mechanism NAME
//	                 ask for FAST tokens bound to this HT mechanism, such
//	                 as HT-SHA-256-NONE (default: the strongest offered)
//	-logout          invalidate the kept token at the server, forget it,
//	                 and exit
//	-to JID          send -message to JID
//	-message TEXT    the body of the message to send
//	-listen          stay online and print incoming messages until
//	                 interrupted
//	-timeout D       give up connecting and logging in after D (default 1m,
//	                 time to type a code)
//	-recovery CODE   answer the second factor with this recovery code; it
//	                 works once, and stays in the shell history
//	-enrol-totp      after login, enrol TOTP
//	-recovery-codes  after login, print a new set of recovery codes
//	-factors         after login, list the second factors
//	-remove TYPE     after login, remove the factor TYPE, totp or recovery
//
// Standard error names the mechanism that authenticated ("authenticated
// with HT-SHA-256-EXPR over TLS 1.3; ..."), the second factor passed and
// every new token kept.
//
// The exit status is 0 on success, 1 on any failure (a failed login
// included) and 2 for bad usage.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/xmppauth/xmppauth/examples/internal/passwd"
	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/examples/internal/xmppclient"
	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// tag is the Bind 2 tag: the start of every resource this client binds.
const tag = "xmppauth-client"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	terminal = passwd.OpenTerminal
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	var usage usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp), errors.As(err, &usage):
		if errors.As(err, &usage) {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// usageError reports a bad command line.
type usageError string

func (e usageError) Error() string { return "client: " + string(e) }

type options struct {
	jid, addr, cafile, data string
	mechanisms, to, message string
	fastMechanism           string
	directTLS, listen       bool
	logout                  bool
	timeout                 time.Duration

	// Second factors (docs/mfa.md).
	recovery, remove         string
	enrolTOTP, recoveryCodes bool
	factors                  bool
}

// terminal opens the terminal to ask for a code on when standard input
// has ended; main sets it, so that tests never wait for a person.
var terminal func() (io.ReadWriter, error)

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.jid, "jid", "", "the account's bare `JID` (required)")
	fs.StringVar(&o.addr, "addr", "", "the server's `host:port` (default: the JID's domain, port 5222 or 5223)")
	fs.BoolVar(&o.directTLS, "directtls", false, "start with TLS instead of STARTTLS")
	fs.StringVar(&o.cafile, "cafile", "", "a PEM certificate `file` to trust (default: the system's roots)")
	fs.StringVar(&o.data, "data", "", "`directory` of the user-agent id and FAST tokens (default: xmppauth-client in the user's config directory)")
	fs.StringVar(&o.mechanisms, "mechanism", "", "only use these SASL mechanisms, comma-separated `list`")
	fs.StringVar(&o.fastMechanism, "fast-mechanism", "", "ask for FAST tokens bound to this HT `mechanism` (default: the strongest offered)")
	fs.BoolVar(&o.logout, "logout", false, "invalidate the kept FAST token at the server, forget it, and exit")
	fs.StringVar(&o.to, "to", "", "send -message to `JID`")
	fs.StringVar(&o.message, "message", "", "the `text` of the message to send")
	fs.BoolVar(&o.listen, "listen", false, "stay online and print incoming messages")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "give up connecting and logging in after `duration`")
	fs.StringVar(&o.recovery, "recovery", "", "answer the second factor with this recovery `code`")
	fs.BoolVar(&o.enrolTOTP, "enrol-totp", false, "after login, enrol TOTP: print its otpauth URI and QR code, then read a code")
	fs.BoolVar(&o.recoveryCodes, "recovery-codes", false, "after login, print a new set of recovery codes")
	fs.BoolVar(&o.factors, "factors", false, "after login, list the account's second factors")
	fs.StringVar(&o.remove, "remove", "", "after login, remove the second factor of this `type` (totp or recovery)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, usageError("unexpected argument " + fs.Arg(0))
	case o.jid == "":
		return nil, usageError("-jid is required")
	case (o.to == "") != (o.message == ""):
		return nil, usageError("-to and -message go together")
	case o.fastMechanism != "" && !slices.Contains(fast.Mechanisms(), o.fastMechanism):
		return nil, usageError(fmt.Sprintf("-fast-mechanism %q is none of %s",
			o.fastMechanism, strings.Join(fast.Mechanisms(), ", ")))
	case o.logout && (o.to != "" || o.listen || o.manages()):
		return nil, usageError("-logout goes alone, without -to, -listen or second factors")
	case o.remove != "" && o.remove != mfa.TypeTOTP && o.remove != mfa.TypeRecovery:
		return nil, usageError(fmt.Sprintf("-remove %q is neither totp nor recovery", o.remove))
	}
	return o, nil
}

// manages reports whether the options manage second factors after login.
func (o *options) manages() bool {
	return o.enrolTOTP || o.recoveryCodes || o.factors || o.remove != ""
}

// run is the whole command, with its inputs and outputs as arguments so
// that tests can run it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	cfg, keeper, err := o.config()
	if err != nil {
		return err
	}
	account, id := cfg.JID.Bare().String(), cfg.UserAgent.ID
	before, err := keeper.Load(account, id)
	if err != nil {
		return err
	}
	if o.logout && !cfg.FAST.HasToken() {
		fmt.Fprintf(stderr, "no FAST token kept for %s: nothing to invalidate\n", account)
		return nil
	}
	cfg.Logout = o.logout

	// With a token, standard input is read only if the server refuses
	// it or a code is asked for; without one, at once, before
	// connecting.
	in := newInput(stdin, stderr)
	cfg.Tasks = o.tasks(in)
	if !cfg.FAST.HasToken() {
		if _, err := in.Password(); err != nil {
			return fmt.Errorf("client: %w", err)
		}
	}
	ask := func(refused error) (string, error) {
		if refused != nil {
			fmt.Fprintf(stderr, "the server refused the FAST token (%s); logging in with the password\n",
				condition(refused))
		}
		pw, err := in.Password()
		if err != nil {
			return "", fmt.Errorf("client: %w", err)
		}
		return pw, nil
	}

	lctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	s, err := xmppclient.Connect(lctx, cfg, ask)
	if err != nil {
		var f *sasl2.Failure
		switch {
		case o.logout && errors.As(err, &f):
			return fmt.Errorf("client: the server refused the FAST token (%s); it is forgotten here", f.Condition)
		case errors.As(err, &f) && f.Text != "":
			return fmt.Errorf("client: login failed: %s (%s)", f.Condition, f.Text)
		case errors.As(err, &f):
			return fmt.Errorf("client: login failed: %s", f.Condition)
		}
		return fmt.Errorf("client: %w", err)
	}
	defer s.Close()
	fmt.Fprintln(stdout, s.JID())
	mech := s.Mechanism()
	if b := s.Binding(); b != "" {
		mech += " (" + b + ")"
	}
	fmt.Fprintf(stderr, "authenticated with %s over %s; bound %s\n",
		mech, tls.VersionName(s.TLS().Version), how(s.BoundInline()))
	reportPassed(stderr, s.Passed())
	if o.logout {
		fmt.Fprintln(stderr, "logged out: the server invalidated the FAST token, and it is forgotten here")
		return nil
	}
	if after, err := keeper.Load(account, id); err == nil && after.Current != nil &&
		(before.Current == nil || after.Current.Token != before.Current.Token) {
		fmt.Fprintf(stderr, "kept a new FAST token for %s, valid until %s\n",
			after.Current.Mechanism, after.Current.Expiry.Format(time.RFC3339))
		if len(s.Passed()) > 0 {
			fmt.Fprintln(stderr, "the token remembers the second factor: reconnecting with it asks for no code")
		}
	}

	m := &manager{o: o, s: s, in: in, stdout: stdout, stderr: stderr,
		forget: forgetTokens(keeper, account, id)}
	if err := m.run(ctx); err != nil {
		return err
	}

	if o.to != "" {
		if err := send(s, o.to, o.message); err != nil {
			return err
		}
	}
	if o.listen {
		return listen(ctx, s, stdout)
	}
	return nil
}

// condition returns the SASL condition inside err, or err itself.
func condition(err error) string {
	var f *sasl2.Failure
	if errors.As(err, &f) {
		return string(f.Condition)
	}
	return err.Error()
}

// config builds the client configuration from the options, FAST
// included, and returns it with the keeper of the tokens.
func (o *options) config() (xmppclient.Config, *xmppclient.FileKeeper, error) {
	jid, err := xmlstream.ParseJID(o.jid)
	if err != nil || jid.Local == "" || jid.Resource != "" {
		return xmppclient.Config{}, nil, usageError(fmt.Sprintf("-jid %q is not a bare JID", o.jid))
	}
	cfg := xmppclient.Config{
		JID: jid, Addr: o.addr, DirectTLS: o.directTLS, Tag: tag,
		TLS: &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if o.directTLS {
		// XEP-0368 names the protocol for direct TLS.
		cfg.TLS.NextProtos = []string{"xmpp-client"}
	}
	if o.mechanisms != "" {
		cfg.Mechanisms = strings.Split(o.mechanisms, ",")
	}
	if o.cafile != "" {
		pem, err := os.ReadFile(o.cafile)
		if err != nil {
			return cfg, nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return cfg, nil, fmt.Errorf("client: no certificate in %s", o.cafile)
		}
		cfg.TLS.RootCAs = pool
	}

	dir := o.data
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return cfg, nil, fmt.Errorf("client: no configuration directory, use -data: %w", err)
		}
		dir = filepath.Join(base, "xmppauth-client")
	}
	id, err := xmppclient.UserAgentID(dir)
	if err != nil {
		return cfg, nil, err
	}
	cfg.UserAgent = &sasl2.UserAgent{ID: id, Software: "xmppauth example client"}
	keeper := xmppclient.NewFileKeeper(dir)
	fc := fast.ClientConfig{Keeper: keeper, Account: jid.Bare().String(), ClientID: id}
	if o.fastMechanism != "" {
		fc.Mechanisms = []string{o.fastMechanism}
	}
	cfg.FAST = fast.NewClient(fc)
	return cfg, keeper, nil
}

func how(inline bool) string {
	if inline {
		return "inline with Bind 2"
	}
	return "the RFC 6120 way"
}

// send sends one chat message.
func send(s *xmppclient.Session, to, body string) error {
	if _, err := xmlstream.ParseJID(to); err != nil {
		return usageError(fmt.Sprintf("-to %q is not a JID", to))
	}
	m := xmlstream.NewElement(xmlstream.NSClient, "message",
		"type", "chat", "to", to, "id", xmlstream.NewID()).
		Add(xmlstream.NewElement(xmlstream.NSClient, "body").AddText(body))
	return s.Send(m)
}

// listen announces the session as available and prints each message body
// as "from: body" until ctx ends.
func listen(ctx context.Context, s *xmppclient.Session, stdout io.Writer) error {
	if err := s.Send(xmlstream.NewElement(xmlstream.NSClient, "presence")); err != nil {
		return err
	}
	for {
		e, err := s.Next(ctx)
		if ctx.Err() != nil || errors.Is(err, xmlstream.ErrClosed) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		if e.Name.Local != "message" {
			continue
		}
		if b := e.Child(xmlstream.NSClient, "body"); b != nil {
			fmt.Fprintf(stdout, "%s: %s\n", e.Attribute("from"), b.Text())
		}
	}
}
