// Command goxmpp is a small login driver built on github.com/xmppo/go-xmpp,
// an XMPP client written independently of this project. The interop tests
// use it as a real peer: it logs in (SASL2 + Bind2 when the server offers
// them, otherwise legacy SASL and resource binding), optionally requests or
// uses a FAST token, optionally sends or waits for a message, and reports
// what happened on stdout:
//
//	alice@localhost/goxmpp-interop~QwNvwWV857kV   (the bound full JID, alone on its line)
//	mechanism=SCRAM-SHA-1-PLUS
//	fast=issued mechanism=HT-SHA-256-EXPR expiry=2026-12-24T16:12:01Z
//	login_ms=12
//	sent to=bob@localhost
//	received from=bob@localhost/x type=chat body=hello
//
// Exit status: 0 on success (or, with -expect-fail, on a failed login),
// 1 on a failed login, 2 on bad usage, 3 on timeout.
//
// FAST: with -fast-token-file the driver requests a token when the file is
// missing or empty and stores what the server issued; when the file holds a
// token it logs in with it (and stores a rotated token if one comes back).
// The file also keeps the user-agent id, since servers key tokens by it.
package main

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

type fastState struct {
	Token       string `json:"token"`
	Mechanism   string `json:"mechanism"`
	Expiry      string `json:"expiry,omitempty"`
	UserAgentID string `json:"user_agent_id"`
	JID         string `json:"jid,omitempty"`
}

type config struct {
	addr, jid, password, cafile, serverName string
	directTLS, startTLS                     bool
	tlsMax                                  string
	mechanism, fastTokenFile, fastMech      string
	fastInvalidate, noPlain, ssdp           bool
	userAgentID, software, device           string
	to, message, expectBody                 string
	wait, timeout                           time.Duration
	expectFail, debug                       bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c config
	fs := flag.NewFlagSet("goxmpp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "", "server address host:port (required)")
	fs.StringVar(&c.jid, "jid", "", "account JID user@domain (required)")
	fs.StringVar(&c.password, "password", "", "password; empty or \"-\" reads one line from stdin (not needed when a FAST token is used)")
	fs.StringVar(&c.cafile, "cafile", "", "PEM file with the CA/self-signed certificate to trust (default: system roots)")
	fs.StringVar(&c.serverName, "servername", "", "TLS server name to verify (default: domain of -jid)")
	fs.BoolVar(&c.startTLS, "starttls", true, "connect in plain TCP and upgrade with STARTTLS")
	fs.BoolVar(&c.directTLS, "directtls", false, "connect with direct TLS (XEP-0368) instead of STARTTLS")
	fs.StringVar(&c.tlsMax, "tls-max", "", "highest TLS version to offer: 1.2 or 1.3 (default: 1.3)")
	fs.StringVar(&c.mechanism, "mechanism", "", "force a SASL mechanism, e.g. SCRAM-SHA-1-PLUS, SCRAM-SHA-256-PLUS, SCRAM-SHA-1, PLAIN")
	fs.StringVar(&c.fastTokenFile, "fast-token-file", "", "enable FAST; request a token into this file, or log in with the token it holds")
	fs.StringVar(&c.fastMech, "fast-mechanism", "", "FAST mechanism to use with the stored token (default: the one saved with it)")
	fs.BoolVar(&c.fastInvalidate, "fast-invalidate", false, "ask the server to invalidate the token used for this login")
	fs.BoolVar(&c.noPlain, "no-plain", false, "never fall back to PLAIN")
	fs.BoolVar(&c.ssdp, "ssdp", false, "enable XEP-0474 SCRAM downgrade protection")
	fs.StringVar(&c.userAgentID, "user-agent-id", "", "SASL2 user-agent id, a UUIDv4 (default: from the token file, else random)")
	fs.StringVar(&c.software, "software", "goxmpp-interop", "SASL2 user-agent software; also the Bind2 tag")
	fs.StringVar(&c.device, "device", "interop", "SASL2 user-agent device")
	fs.StringVar(&c.to, "to", "", "send a chat message to this JID after login")
	fs.StringVar(&c.message, "message", "hello from go-xmpp", "body of the message sent with -to")
	fs.DurationVar(&c.wait, "wait", 0, "after login, wait this long for one incoming chat message and print it (fails if none arrives)")
	fs.StringVar(&c.expectBody, "expect-body", "", "with -wait, skip messages whose body does not contain this text")
	fs.DurationVar(&c.timeout, "timeout", 20*time.Second, "overall time limit")
	fs.BoolVar(&c.expectFail, "expect-fail", false, "succeed only if the login fails")
	fs.BoolVar(&c.debug, "debug", false, "print the raw XML exchange to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if c.addr == "" || c.jid == "" || !strings.Contains(c.jid, "@") {
		fmt.Fprintln(stderr, "goxmpp: -addr and -jid user@domain are required")
		fs.Usage()
		return 2
	}
	if c.directTLS {
		c.startTLS = false
	}

	timer := time.AfterFunc(c.timeout, func() {
		fmt.Fprintf(stderr, "goxmpp: timeout after %s\n", c.timeout)
		os.Exit(3)
	})
	defer timer.Stop()

	code, err := login(&c, stdin, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "goxmpp: %v\n", err)
	}
	return code
}

func login(c *config, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	domain := c.jid[strings.LastIndex(c.jid, "@")+1:]
	if c.serverName == "" {
		c.serverName = domain
	}

	tlsConfig := &tls.Config{ServerName: c.serverName, MinVersion: tls.VersionTLS12}
	switch c.tlsMax {
	case "", "1.3":
	case "1.2":
		tlsConfig.MaxVersion = tls.VersionTLS12
	default:
		return 2, fmt.Errorf("-tls-max: want 1.2 or 1.3, got %q", c.tlsMax)
	}
	if c.cafile != "" {
		pem, err := os.ReadFile(c.cafile)
		if err != nil {
			return 2, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return 2, fmt.Errorf("%s: no PEM certificates", c.cafile)
		}
		tlsConfig.RootCAs = pool
	}

	// FAST state: a stored token (use it) or none yet (request one).
	var fast *fastState
	if c.fastTokenFile != "" {
		fast = &fastState{}
		data, err := os.ReadFile(c.fastTokenFile)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return 2, err
		case len(strings.TrimSpace(string(data))) > 0:
			if err := json.Unmarshal(data, fast); err != nil {
				return 2, fmt.Errorf("%s: %w", c.fastTokenFile, err)
			}
		}
		if c.fastMech != "" {
			fast.Mechanism = c.fastMech
		}
	}
	usingToken := fast != nil && fast.Token != ""
	if usingToken && fast.Mechanism == "" {
		return 2, errors.New("the stored FAST token has no mechanism; pass -fast-mechanism")
	}

	agentID := c.userAgentID
	if agentID == "" && fast != nil {
		agentID = fast.UserAgentID
	}
	if agentID == "" {
		agentID = newUUIDv4()
	}

	password := c.password
	if password == "-" || (password == "" && !usingToken) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return 2, fmt.Errorf("reading the password from stdin: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}

	opts := xmpp.Options{
		Host:          c.addr,
		User:          c.jid,
		Password:      password,
		DialTimeout:   10 * time.Second,
		TLSConfig:     tlsConfig,
		NoTLS:         c.startTLS,
		StartTLS:      c.startTLS,
		Mechanism:     c.mechanism,
		NoPLAIN:       c.noPlain,
		SSDP:          c.ssdp,
		UserAgentSW:   c.software,
		UserAgentDev:  c.device,
		UserAgentID:   agentID,
		Debug:         c.debug,
		DebugWriter:   stderr,
		Session:       false,
		NoSASLUpgrade: false,
	}
	if fast != nil {
		opts.Fast = true
		if usingToken {
			opts.FastToken = fast.Token
			opts.FastMechanism = fast.Mechanism
			opts.FastInvalidate = c.fastInvalidate
		}
	}

	start := time.Now()
	client, err := opts.NewClient()
	elapsed := time.Since(start)
	if err != nil {
		if c.expectFail {
			fmt.Fprintf(stdout, "expected-failure=%s\n", oneLine(err.Error()))
			fmt.Fprintf(stdout, "login_ms=%d\n", elapsed.Milliseconds())
			return 0, nil
		}
		return 1, fmt.Errorf("login failed after %s: %w", elapsed.Round(time.Millisecond), err)
	}

	fmt.Fprintln(stdout, client.JID())
	mech := client.Mechanism
	if mech == "" {
		mech = c.mechanism // PLAIN leaves Client.Mechanism empty
	}
	if mech == "" {
		mech = "unknown"
	}
	fmt.Fprintf(stdout, "mechanism=%s\n", mech)

	if fast != nil {
		switch {
		case client.Fast.Token != "":
			state := "issued"
			if usingToken {
				state = "rotated"
			}
			fast.Token = client.Fast.Token
			// go-xmpp chose the mechanism of the request itself (EXPR, then
			// UNIQ on TLS 1.2, ENDP, NONE); servers bind the token to it.
			fast.Mechanism = client.Fast.Mechanism
			fast.Expiry = ""
			if !client.Fast.Expiry.IsZero() {
				fast.Expiry = client.Fast.Expiry.UTC().Format(time.RFC3339)
			}
			fast.UserAgentID = agentID
			fast.JID = c.jid
			if err := writeState(c.fastTokenFile, fast); err != nil {
				return 1, err
			}
			fmt.Fprintf(stdout, "fast=%s mechanism=%s expiry=%s\n", state, fast.Mechanism, fast.Expiry)
		case usingToken && c.fastInvalidate:
			if err := os.Remove(c.fastTokenFile); err != nil && !errors.Is(err, os.ErrNotExist) {
				return 1, err
			}
			fmt.Fprintln(stdout, "fast=invalidated")
		case usingToken:
			fmt.Fprintln(stdout, "fast=used")
		default:
			fmt.Fprintln(stdout, "fast=none")
		}
	}
	fmt.Fprintf(stdout, "login_ms=%d\n", elapsed.Milliseconds())

	if c.expectFail {
		_ = client.Close()
		return 1, errors.New("login succeeded but -expect-fail was given")
	}

	if c.to != "" {
		if _, _, err := client.Send(xmpp.Chat{Remote: c.to, Type: "chat", Text: c.message}); err != nil {
			return 1, fmt.Errorf("send: %w", err)
		}
		fmt.Fprintf(stdout, "sent to=%s\n", c.to)
	}

	if c.wait > 0 {
		got := make(chan xmpp.Chat, 1)
		errc := make(chan error, 1)
		go func() {
			for {
				st, err := client.Recv()
				if err != nil {
					errc <- err
					return
				}
				if chat, ok := st.(xmpp.Chat); ok && chat.Text != "" && strings.Contains(chat.Text, c.expectBody) {
					got <- chat
					return
				}
			}
		}()
		select {
		case chat := <-got:
			fmt.Fprintf(stdout, "received from=%s type=%s body=%s\n", chat.Remote, chat.Type, oneLine(chat.Text))
		case err := <-errc:
			return 1, fmt.Errorf("waiting for a message: %w", err)
		case <-time.After(c.wait):
			return 1, fmt.Errorf("no message within %s", c.wait)
		}
	}

	if err := client.Close(); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
		fmt.Fprintf(stderr, "goxmpp: close: %v\n", err)
	}
	return 0, nil
}

func writeState(path string, s *fastState) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// newUUIDv4 returns a random RFC 4122 version 4 UUID (go-xmpp requires the
// user-agent id to be one).
func newUUIDv4() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
