package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/xmppauth/xmppauth/examples/internal/passwd"
	"github.com/xmppauth/xmppauth/examples/internal/termqr"
	"github.com/xmppauth/xmppauth/examples/internal/xmppclient"
	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/mfa"
	"github.com/xmppauth/xmppauth/sasl2"
)

// Prompts for the codes of docs/mfa.md, asked on standard error when
// standard input is a terminal.
const (
	askTOTP     = "code from your authenticator app: "
	askRecovery = "recovery code: "
)

// confirmTries is how many codes -enrol-totp lets the user type.
const confirmTries = 3

// input is standard input: the password on its first line, then the
// codes asked for. It reads the password once, and passes over it before
// a code that a token login asks for first, unless a person at a
// terminal types only what is asked.
type input struct {
	lines    *passwd.Lines
	terminal bool
	read     bool
	password string
	err      error
}

// newInput returns the input of stdin, which prompts on stderr when it
// is a terminal.
func newInput(stdin io.Reader, stderr io.Writer) *input {
	in := &input{lines: passwd.NewLines(stdin), terminal: passwd.IsTerminal(stdin)}
	in.lines.Terminal = terminal
	if in.terminal {
		in.lines.Prompts = stderr
	}
	return in
}

// Password returns the first line.
func (in *input) Password() (string, error) {
	if !in.read {
		in.read = true
		in.password, in.err = in.lines.Password()
	}
	return in.password, in.err
}

// Ask returns the next code.
func (in *input) Ask(prompt string) (string, error) {
	if !in.terminal {
		in.Password()
	}
	return in.lines.Ask(prompt)
}

// tasks returns the second factors the client answers at login: a TOTP
// code read from the input, or a recovery code; with -recovery, that
// code alone.
func (o *options) tasks(in *input) []sasl2.ClientTask {
	if o.recovery != "" {
		return []sasl2.ClientTask{mfa.RecoveryClient(func(context.Context) (string, error) {
			return o.recovery, nil
		})}
	}
	return []sasl2.ClientTask{
		mfa.TOTPClient(ask(in, askTOTP)),
		mfa.RecoveryClient(ask(in, askRecovery)),
	}
}

// ask returns a prompt that reads the next line of input. It does not
// give up when ctx ends: a read of standard input cannot be broken off,
// and the login fails on its own once the answer comes too late.
func ask(in *input, prompt string) mfa.Prompt {
	return func(context.Context) (string, error) {
		return in.Ask(prompt)
	}
}

// reportPassed says which second factors the login proved.
func reportPassed(w io.Writer, passed []mfa.Passed) {
	for _, p := range passed {
		fmt.Fprintf(w, "passed the second factor %s", p.Task)
		if p.Remaining >= 0 {
			fmt.Fprintf(w, "; %d recovery codes left", p.Remaining)
			if p.Remaining < 3 {
				fmt.Fprint(w, " (-recovery-codes makes a new set)")
			}
		}
		fmt.Fprintln(w)
	}
}

// manager runs the second-factor flags on a logged-in session.
type manager struct {
	o              *options
	s              *xmppclient.Session
	in             *input
	stdout, stderr io.Writer
	// forget drops the FAST tokens kept for the account, which the
	// server revokes when a factor is added or removed.
	forget func() error
}

// run runs the flags in the order listing, removal, enrolment, recovery
// codes.
func (m *manager) run(ctx context.Context) error {
	if m.o.factors {
		if err := m.list(ctx); err != nil {
			return err
		}
	}
	if m.o.remove != "" {
		if err := m.removeFactor(ctx, m.o.remove); err != nil {
			return err
		}
	}
	if m.o.enrolTOTP {
		if err := m.enrolTOTP(ctx); err != nil {
			return err
		}
	}
	if m.o.recoveryCodes {
		return m.recoveryCodes(ctx)
	}
	return nil
}

// do runs a request, bounded by -timeout.
func (m *manager) do(ctx context.Context, req func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, m.o.timeout)
	defer cancel()
	return req(ctx)
}

// sensitive runs a request, and once more after a step-up when the
// server asks for one.
func (m *manager) sensitive(ctx context.Context, req func(context.Context) error) error {
	err := m.do(ctx, req)
	if !xmppclient.IsStepUpRequired(err) {
		return err
	}
	if err := m.stepUp(ctx); err != nil {
		return err
	}
	return m.do(ctx, req)
}

// factorList lists the account's second factors.
func (m *manager) factorList(ctx context.Context) (list []mfa.FactorInfo, err error) {
	err = m.do(ctx, func(ctx context.Context) error {
		list, err = m.s.Factors(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("client: listing second factors: %w", err)
	}
	return list, nil
}

func (m *manager) list(ctx context.Context) error {
	list, err := m.factorList(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(m.stdout, "no second factor")
	}
	for _, f := range list {
		line := fmt.Sprintf("%s id=%s", f.Type, f.ID)
		if f.Name != "" {
			line += fmt.Sprintf(" name=%q", f.Name)
		}
		if f.Remaining >= 0 {
			line += fmt.Sprintf(" remaining=%d", f.Remaining)
		}
		if !f.Created.IsZero() {
			line += " created=" + f.Created.Format(time.RFC3339)
		}
		if !f.LastUsed.IsZero() {
			line += " last-used=" + f.LastUsed.Format(time.RFC3339)
		}
		fmt.Fprintln(m.stdout, line)
	}
	return nil
}

// enrolTOTP enrols TOTP: the URI on standard output, its QR code on
// standard error, then the code from the app, confirmed at the server.
func (m *manager) enrolTOTP(ctx context.Context) error {
	var uri string
	err := m.do(ctx, func(ctx context.Context) (err error) {
		uri, err = m.s.EnrolTOTP(ctx)
		return err
	})
	if err != nil {
		if conflict(err) {
			return errors.New("client: TOTP is already enrolled; -remove totp removes it")
		}
		return fmt.Errorf("client: enrolling TOTP: %w", err)
	}
	fmt.Fprintln(m.stdout, uri)
	if err := termqr.Write(m.stderr, uri); err != nil {
		return err
	}
	fmt.Fprintln(m.stderr, "Scan the QR code, or add the otpauth URI printed above, in an authenticator app.")

	for try := 1; ; try++ {
		code, err := m.in.Ask(askTOTP)
		if err != nil {
			return fmt.Errorf("client: %w; the enrolment stays pending, and -enrol-totp starts it again", err)
		}
		err = m.do(ctx, func(ctx context.Context) error {
			return m.s.ConfirmTOTP(ctx, code)
		})
		if err == nil {
			break
		}
		if !refused(err) || try == confirmTries {
			return fmt.Errorf("client: confirming TOTP: %w", err)
		}
		fmt.Fprintln(m.stderr, "the server refused the code; try the next one the app shows")
	}

	if err := m.forget(); err != nil {
		return err
	}
	fmt.Fprintln(m.stderr, "TOTP enrolled. The server revoked the account's FAST tokens and this client forgot its own:\n"+
		"the next login asks for the password and a code, and then reconnects without them.")
	return nil
}

// recoveryCodes prints a new set of recovery codes, proving a factor
// first when the server asks, as it does when a set is replaced. A first
// set adds a factor, for which the server revokes the FAST tokens.
func (m *manager) recoveryCodes(ctx context.Context) error {
	list, err := m.factorList(ctx)
	if err != nil {
		return err
	}
	first := !slices.ContainsFunc(list, func(f mfa.FactorInfo) bool {
		return f.Type == mfa.TypeRecovery && f.Remaining > 0
	})
	var codes []string
	err = m.sensitive(ctx, func(ctx context.Context) (err error) {
		codes, err = m.s.RecoveryCodes(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("client: generating recovery codes: %w", err)
	}
	fmt.Fprintln(m.stderr, "Recovery codes, each good for one login with -recovery CODE in place of a TOTP code.\n"+
		"Keep them somewhere safe: they are not shown again, and they replace any earlier set.")
	for _, c := range codes {
		fmt.Fprintln(m.stdout, c)
	}
	if first {
		fmt.Fprintln(m.stderr, "The server revoked the account's FAST tokens; the next login asks for the password and a code.")
		return m.forget()
	}
	return nil
}

// removeFactor removes the factor of type typ, "totp" or "recovery",
// after a step-up.
func (m *manager) removeFactor(ctx context.Context, typ string) error {
	err := m.sensitive(ctx, func(ctx context.Context) error {
		return m.s.RemoveFactor(ctx, typ, typ)
	})
	if err != nil {
		return fmt.Errorf("client: removing %s: %w", typ, err)
	}
	if err := m.forget(); err != nil {
		return err
	}
	fmt.Fprintf(m.stderr, "removed %s; the server revoked the account's FAST tokens\n", typ)
	return nil
}

// stepUp proves a second factor again, for an operation that needs a
// fresh one: TOTP when enrolled, else a recovery code.
func (m *manager) stepUp(ctx context.Context) error {
	list, err := m.factorList(ctx)
	if err != nil {
		return err
	}
	task := mfa.RecoveryClient(ask(m.in, askRecovery))
	for _, f := range list {
		if f.Type == mfa.TypeTOTP {
			task = mfa.TOTPClient(ask(m.in, askTOTP))
		}
	}
	fmt.Fprintf(m.stderr, "the server asks for %s again before this change\n", task.Name())
	err = m.do(ctx, func(ctx context.Context) error {
		return m.s.StepUp(ctx, task)
	})
	if refused(err) {
		return errors.New("client: the server refused the code; a code works once, so wait for the next one")
	}
	if err != nil {
		return fmt.Errorf("client: step-up: %w", err)
	}
	return nil
}

// forgetTokens returns the manager's forget for the tokens that keeper
// keeps for account on installation id.
func forgetTokens(keeper fast.Keeper, account, id string) func() error {
	return func() error {
		if err := keeper.Save(account, id, fast.Kept{}); err != nil {
			return fmt.Errorf("client: forgetting the revoked FAST token: %w", err)
		}
		return nil
	}
}

// refused reports a wrong or reused code: not-authorized.
func refused(err error) bool {
	var se *xmppclient.StanzaError
	return errors.As(err, &se) && se.Condition == "not-authorized"
}

func conflict(err error) bool {
	var se *xmppclient.StanzaError
	return errors.As(err, &se) && se.Condition == "conflict"
}
