package mfa

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/sasl2"
)

// Requirement is what policy asks of one authentication.
type Requirement struct {
	// Factors lists the task names that may be passed, in no particular
	// order; nil accepts every configured factor.
	Factors []string
	// Mandatory asks a factor even of an account that has enrolled none
	// of Factors: it then fails with not-authorized, unless
	// Config.AllowUnenrolled. Otherwise only accounts that have enrolled
	// an acceptable factor must pass one.
	Mandatory bool
}

// Config configures a Server. It must not change once the Server uses
// it.
type Config struct {
	// Factors lists the factors the server runs, in the order offered in
	// <continue>.
	Factors []Factor
	// Require returns what an authenticated user must pass, or nil for
	// nothing: the hook for accounts, roles and kinds of client. It runs
	// after the mechanism succeeded; an error fails the authentication
	// closed. Nil Require asks every account that has enrolled a factor
	// to pass one of them.
	Require func(ctx context.Context, r *sasl2.Result) (*Requirement, error)
	// Remembered reports whether r is a login with a remembered device's
	// credential, a FAST token, and the factors it recorded when it was
	// issued. Nil recognises the token logins of package fast (fast.Used)
	// and a *fast.Token in r.Credential; a host with other remembered
	// credentials reports them here.
	Remembered func(r *sasl2.Result) (factors []string, ok bool)
	// AllowUnenrolled lets an account that a Mandatory requirement covers
	// but that has enrolled no acceptable factor log in without one, so
	// that it can enrol; the host should then confine the session to
	// enrolment. False fails such logins with not-authorized.
	AllowUnenrolled bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Server runs second factors for a sasl2.Server and for step-up. It is
// safe for concurrent use.
type Server struct {
	cfg Config
}

// NewServer returns a Server for cfg.
func NewServer(cfg Config) *Server {
	return &Server{cfg: cfg}
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// factor returns the configured factor named task, or nil.
func (s *Server) factor(task string) Factor {
	for _, f := range s.cfg.Factors {
		if f.Name() == task {
			return f
		}
	}
	return nil
}

// Policy returns the sasl2.Policy that asks second factors of the
// accounts that Require covers. It offers, as one sasl2.Alternatives,
// exactly the acceptable factors the account has enrolled, in the order
// of Config.Factors, each a fresh task.
//
// A token login (see Config.Remembered) runs no task, as XEP-0484 §4
// requires: it passes when the token recorded an acceptable factor or
// none is required, and fails with credentials-expired otherwise, which
// sends the client back to its password and the tasks. Store errors fail
// closed with temporary-auth-failure.
func (s *Server) Policy() sasl2.Policy {
	return s.policy
}

func (s *Server) policy(ctx context.Context, r *sasl2.Result) ([]sasl2.Alternatives, error) {
	req := &Requirement{}
	if s.cfg.Require != nil {
		var err error
		if req, err = s.cfg.Require(ctx, r); err != nil {
			return nil, fmt.Errorf("mfa: policy: %w", err)
		}
		if req == nil {
			return nil, nil
		}
	}
	acceptable := s.acceptable(req)

	// A remembered device proved its factors when its token was issued;
	// its record spares the stores a round trip.
	proven, remembered := s.remembered(r)
	if remembered && slices.ContainsFunc(acceptable, func(f Factor) bool {
		return slices.Contains(proven, f.Name())
	}) {
		return nil, nil
	}

	var alts sasl2.Alternatives
	for _, f := range acceptable {
		ok, err := f.Enrolled(ctx, r.User)
		if err != nil {
			return nil, fmt.Errorf("mfa: reading %s enrolment: %w",
				f.Name(), err)
		}
		if ok {
			alts = append(alts, f.Task())
		}
	}

	switch {
	case len(alts) == 0 && (!req.Mandatory || s.cfg.AllowUnenrolled):
		return nil, nil
	case len(alts) == 0:
		return nil, Failed(ErrNotEnrolled)
	case remembered:
		return nil, sasl2.Fail(sasl2.CredentialsExpired, "")
	}
	return []sasl2.Alternatives{alts}, nil
}

// acceptable returns the configured factors req accepts.
func (s *Server) acceptable(req *Requirement) []Factor {
	if req.Factors == nil {
		return s.cfg.Factors
	}
	var out []Factor
	for _, f := range s.cfg.Factors {
		if slices.Contains(req.Factors, f.Name()) {
			out = append(out, f)
		}
	}
	return out
}

func (s *Server) remembered(r *sasl2.Result) ([]string, bool) {
	if s.cfg.Remembered != nil {
		return s.cfg.Remembered(r)
	}
	if t, ok := fast.Used(r); ok {
		return t.Factors, true
	}
	if t, ok := r.Credential.(*fast.Token); ok && t != nil {
		return t.Factors, true
	}
	return nil, false
}

// Factors lists the account's enrolled factors, for the listing of
// docs/mfa.md §6.1.
func (s *Server) Factors(ctx context.Context, account string) ([]FactorInfo, error) {
	var out []FactorInfo
	for _, f := range s.cfg.Factors {
		l, err := f.List(ctx, account)
		if err != nil {
			return nil, fmt.Errorf("mfa: listing %s: %w", f.Name(), err)
		}
		out = append(out, l...)
	}
	return out, nil
}

// StepUpWindow is how long a passed step-up holds on the stream where it
// passed (docs/mfa.md §6.5).
const StepUpWindow = 5 * time.Minute

// StepUp is a factor check run outside SASL, before a sensitive
// operation (docs/mfa.md §6.5). It is not safe for concurrent use.
type StepUp struct {
	// Task is the task being run.
	Task string
	// Passed reports that the factor was proven, at At.
	Passed bool
	At     time.Time
	// Data is what the server sends next while the check is not done: the
	// payload of the <step-up status='continue'/> result.
	Data []sasl2.Element

	s    *Server
	task sasl2.Task
}

// StepUp begins a step-up for account with the factor named task and the
// payload a <next> would carry. It returns a *StepUp that has passed, or
// that needs Next with the client's answer to Data. A wrong proof, or a
// factor the account has not enrolled, fails with an error for which
// errors.Is(err, sasl2.Fail(sasl2.NotAuthorized, "")) holds (send
// not-authorized); ErrMalformed means bad-request; anything else is a
// storage failure (internal-server-error).
//
// The host calls it for the IQs of docs/mfa.md §6.5 and records on the
// session when the step-up passed; before a password change, the removal
// of a factor or another sensitive operation it checks that one passed
// recently.
func (s *Server) StepUp(ctx context.Context, account, task string, payload []sasl2.Element) (*StepUp, error) {
	f := s.factor(task)
	if f == nil {
		return nil, Failed(fmt.Errorf("%w: no task %q", ErrMalformed, task))
	}
	ok, err := f.Enrolled(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("mfa: reading %s enrolment: %w", task, err)
	}
	if !ok {
		return nil, Failed(ErrNotEnrolled)
	}
	u := &StepUp{Task: task, s: s, task: f.Task()}
	st, err := u.task.Start(ctx, &sasl2.Result{User: account}, payload)
	return u, u.step(st, err)
}

// Fresh reports whether the step-up passed within StepUpWindow before
// now: the check a host makes before a sensitive operation.
func (u *StepUp) Fresh(now time.Time) bool {
	return u != nil && u.Passed && !now.Before(u.At) &&
		now.Sub(u.At) < StepUpWindow
}

// Next gives the step-up the payload of the client's <step-up-data/>.
func (u *StepUp) Next(ctx context.Context, payload []sasl2.Element) error {
	if u.Passed || u.task == nil {
		return errors.New("mfa: step-up is not in progress")
	}
	st, err := u.task.Next(ctx, payload)
	return u.step(st, err)
}

func (u *StepUp) step(st sasl2.TaskStep, err error) error {
	if err != nil {
		u.task, u.Data = nil, nil
		return err
	}
	if st.Done {
		u.Passed, u.At, u.Data, u.task = true, u.s.now(), nil, nil
		return nil
	}
	u.Data = st.Data
	return nil
}

// Element returns the server's <step-up/> result.
func (u *StepUp) Element() sasl2.Element {
	if u.Passed {
		return StepUpElement(u.Task, StepUpPassed, nil)
	}
	return StepUpElement(u.Task, StepUpContinue, u.Data)
}
