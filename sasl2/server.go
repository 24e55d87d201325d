package sasl2

import (
	"context"
	"slices"
	"strings"
)

// Config is the server's durable configuration, shared by every connection.
// It must not change once a Server uses it.
type Config struct {
	// Mechanisms lists the mechanisms in the order advertised. Only those
	// available on a connection are offered there.
	Mechanisms []Mechanism
	// Extensions lists the inline features. Their Success methods run in
	// this order: put stream resumption before Bind 2, and Bind 2 before
	// FAST token issue.
	Extensions []Extension
	// Policy decides the tasks an authenticated user must pass. Nil means
	// none.
	Policy Policy
	// Audit, when not nil, receives an event for every outcome. It is
	// called synchronously and must not block. No event carries a secret.
	Audit func(Event)
}

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event.
const (
	// EventSuccess: an authentication succeeded.
	EventSuccess EventKind = iota + 1
	// EventFailure: an authentication failed with Condition.
	EventFailure
	// EventTaskPassed: the user passed Task.
	EventTaskPassed
)

// Event is an audit record of a server negotiation.
type Event struct {
	Kind      EventKind
	User      string // "" when authentication failed before a user was known
	Mechanism string
	Task      string
	Condition Condition
	ClientID  string
	// Err is the cause of a failure as the mechanism, task or extension
	// reported it: a storage error behind temporary-auth-failure, say. It
	// is for the host's logs and never goes on the wire.
	Err error
}

type serverState int

const (
	idle      serverState = iota // waiting for <authenticate>
	mechanism                    // waiting for <response> or <abort>
	choosing                     // <continue> sent; waiting for <next>
	tasking                      // waiting for <task-data>
	done                         // <success> sent
)

// Server negotiates authentication with one client. Create one per stream
// with NewServer. It is not safe for concurrent use.
type Server struct {
	cfg  *Config
	conn *Conn

	state    serverState
	attempt  *attempt
	required []Alternatives
	task     Task
	result   Result
}

// attempt is the state of one <authenticate> until it succeeds or fails.
type attempt struct {
	mech     string
	exchange Exchange
	requests []Request
	// continued reports that a <continue> carried the mechanism's data.
	continued bool
}

// NewServer returns a negotiation for one stream. conn describes the
// stream; the Server keeps it and fills Advertised, AdvertisedBindings and
// Inline.
func NewServer(cfg *Config, conn *Conn) *Server {
	return &Server{cfg: cfg, conn: conn}
}

// Features returns the <authentication> feature for this stream, and the
// XEP-0440 <sasl-channel-binding> feature to send beside it (nil when no
// mechanism offered here uses channel binding). It returns nil, nil when no
// mechanism is available: SASL2 must not be offered with none (XEP-0388
// §2.1), nor before TLS.
func (s *Server) Features() (*Authentication, *ChannelBindingFeature) {
	if s.conn.TLS == nil {
		return nil, nil
	}
	a := &Authentication{}
	plus := false
	for _, m := range s.cfg.Mechanisms {
		if m.Available(s.conn) {
			a.Mechanisms = append(a.Mechanisms, m.Name())
			plus = plus || strings.HasSuffix(m.Name(), "-PLUS")
		}
	}
	if len(a.Mechanisms) == 0 {
		return nil, nil
	}
	s.conn.Advertised, s.conn.AdvertisedBindings = a.Mechanisms, nil

	// Mechanisms offered inline stay out of <authentication>, and so out
	// of the XEP-0474 hash and the XEP-0440 decision below.
	s.conn.Inline = nil
	for _, e := range s.cfg.Extensions {
		if im, ok := e.(InlineMechanisms); ok {
			for _, m := range im.InlineMechanisms(s.conn) {
				if !s.conn.Offered(m.Name()) {
					s.conn.Inline = append(s.conn.Inline, m.Name())
				}
			}
		}
	}
	for _, e := range s.cfg.Extensions {
		if el, ok := e.Advertise(s.conn); ok {
			a.Inline = append(a.Inline, el)
		}
	}

	var cb *ChannelBindingFeature
	if plus && len(s.conn.Bindings) > 0 {
		cb = &ChannelBindingFeature{}
		for _, b := range s.conn.Bindings {
			cb.Types = append(cb.Types, b.Type)
		}
		s.conn.AdvertisedBindings = cb.Types
	}
	return a, cb
}

// Receive takes one element the client sent, as returned by Decode, and
// returns the element to send back: *Challenge, *Continue, *TaskData,
// *Success or *Failure. After *Success the host sends fresh stream features
// without a stream restart, unless an inline extension resumed an earlier
// session (XEP-0198: the stream then carries on at once; bind2.IsResumed
// tells), and Result describes the session.
//
// After *Failure the stream stays as it was and a new <authenticate> is
// accepted. Input that no state allows returns a *StreamError: the host
// sends it as a stream error and closes the stream.
func (s *Server) Receive(ctx context.Context, el any) (any, error) {
	switch v := el.(type) {
	case *Authenticate:
		if s.state != idle {
			return nil, s.outOfOrder("authenticate")
		}
		return s.authenticate(ctx, v), nil
	case *Response:
		if s.state != mechanism {
			return nil, s.outOfOrder("response")
		}
		if v.badEncoding {
			return s.fail(Fail(IncorrectEncoding, "")), nil
		}
		return s.step(ctx, v.Data), nil
	case *Next:
		if s.state != choosing {
			return nil, s.outOfOrder("next")
		}
		return s.next(ctx, v), nil
	case *TaskData:
		if s.state != tasking {
			return nil, s.outOfOrder("task-data")
		}
		st, err := s.task.Next(ctx, v.Payload)
		return s.taskStep(ctx, st, err), nil
	case *Abort:
		if s.state == idle || s.state == done {
			return nil, s.outOfOrder("abort")
		}
		return s.fail(Fail(Aborted, "")), nil
	}
	return nil, s.outOfOrder("")
}

// Done reports whether authentication succeeded.
func (s *Server) Done() bool { return s.state == done }

// Result returns what the authentication established. It is meaningful once
// Done reports true.
func (s *Server) Result() *Result { return &s.result }

func (s *Server) outOfOrder(what string) error {
	cond := "policy-violation"
	if s.state == idle {
		// Nothing but authentication is allowed before it (RFC 6120 §6.4.1).
		cond = "not-authorized"
	}
	if what == "" {
		what = "unexpected element"
	}
	return &StreamError{Condition: cond, Text: what + " not allowed now"}
}

func (s *Server) authenticate(ctx context.Context, a *Authenticate) any {
	s.result = Result{UserAgent: a.UserAgent}
	s.result.ClientID, _ = a.UserAgent.ClientID()
	m := s.mechanism(a.Mechanism)
	if m == nil {
		return s.fail(Fail(InvalidMechanism, ""))
	}
	s.result.Mechanism = m.Name()
	s.attempt = &attempt{mech: m.Name()}

	// Extensions see their part of the request first and may veto it.
	for _, e := range s.cfg.Extensions {
		var mine []Element
		for _, c := range a.Extensions {
			if c.Name.Space == e.Namespace() {
				mine = append(mine, c)
			}
		}
		r, err := e.Request(ctx, s.conn, a, mine)
		if err != nil {
			return s.fail(err)
		}
		if r != nil {
			s.attempt.requests = append(s.attempt.requests, r)
		}
	}

	if a.badEncoding {
		return s.fail(Fail(IncorrectEncoding, ""))
	}
	x, err := m.Start(ctx, s.conn, a)
	if err != nil {
		return s.fail(err)
	}
	s.attempt.exchange = x
	return s.step(ctx, a.InitialResponse)
}

// mechanism returns the mechanism of that name offered on this stream, in
// <authentication> or inline, or nil.
func (s *Server) mechanism(name string) Mechanism {
	if slices.Contains(s.conn.Advertised, name) {
		for _, m := range s.cfg.Mechanisms {
			if m.Name() == name {
				return m
			}
		}
		return nil
	}
	if !slices.Contains(s.conn.Inline, name) {
		return nil
	}
	for _, e := range s.cfg.Extensions {
		if im, ok := e.(InlineMechanisms); ok {
			for _, m := range im.InlineMechanisms(s.conn) {
				if m.Name() == name {
					return m
				}
			}
		}
	}
	return nil
}

// step runs the mechanism on one client message.
func (s *Server) step(ctx context.Context, data []byte) any {
	st, err := s.attempt.exchange.Next(ctx, data)
	if err != nil {
		return s.fail(err)
	}
	if !st.Done {
		s.state = mechanism
		return &Challenge{Data: st.Challenge}
	}

	// The mechanism succeeded. RFC 6120 §6.3.8 and XEP-0388 §2.2: a
	// non-empty authzid must name the user's own JID, and must agree with
	// the stream's 'from'.
	bare := st.User + "@" + s.conn.Domain
	if st.Authzid != "" && (st.Authzid != bare || s.conn.From != "" && s.conn.From != st.Authzid) {
		return s.fail(Fail(InvalidAuthzid, ""))
	}
	s.result.User, s.result.JID = st.User, bare
	s.result.Credential = st.Credential

	required, err := s.policy(ctx)
	if err != nil {
		return s.fail(err)
	}
	if st.Noninteractive && len(required) > 0 {
		return s.fail(Fail(CredentialsExpired, ""))
	}
	s.required = required
	if len(required) > 0 {
		s.attempt.continued = true
		return s.cont(st.AdditionalData)
	}
	return s.succeed(ctx, st.AdditionalData)
}

func (s *Server) policy(ctx context.Context) ([]Alternatives, error) {
	if s.cfg.Policy == nil {
		return nil, nil
	}
	req, err := s.cfg.Policy(ctx, &s.result)
	if err != nil {
		return nil, err
	}
	for _, alts := range req {
		if len(alts) == 0 {
			return nil, Fail(TemporaryAuthFailure, "")
		}
	}
	return req, nil
}

// cont offers the alternatives of the next requirement.
func (s *Server) cont(additional []byte) any {
	c := &Continue{AdditionalData: additional}
	for _, t := range s.required[0] {
		c.Tasks = append(c.Tasks, t.Name())
	}
	s.state = choosing
	return c
}

func (s *Server) next(ctx context.Context, n *Next) any {
	i := slices.IndexFunc(s.required[0], func(t Task) bool {
		return t.Name() == n.Task
	})
	if i < 0 {
		return s.fail(Fail(MalformedRequest, ""))
	}
	s.task = s.required[0][i]
	st, err := s.task.Start(ctx, &s.result, n.Payload)
	return s.taskStep(ctx, st, err)
}

// taskStep answers one step of the running task.
func (s *Server) taskStep(ctx context.Context, st TaskStep, err error) any {
	if err != nil {
		return s.fail(err)
	}
	if !st.Done {
		s.state = tasking
		return &TaskData{Payload: st.Data}
	}

	name := s.task.Name()
	s.result.Tasks = append(s.result.Tasks, name)
	s.result.Success = append(s.result.Success, st.Result...)
	s.audit(Event{Kind: EventTaskPassed, Task: name})
	s.required, s.task = s.required[1:], nil
	if len(s.required) > 0 {
		return s.cont(nil)
	}
	return s.succeed(ctx, nil)
}

// succeed runs the inline requests and builds <success>. The requests
// whose Success ran learn through Finisher whether it stands.
func (s *Server) succeed(ctx context.Context, additional []byte) any {
	reqs := s.attempt.requests
	for i, r := range reqs {
		if err := r.Success(ctx, &s.result); err != nil {
			for _, done := range slices.Backward(reqs[:i]) {
				finish(ctx, done, false)
			}
			return s.fail(err)
		}
	}
	for _, r := range reqs {
		finish(ctx, r, true)
	}
	s.state = done
	s.audit(Event{Kind: EventSuccess})
	s.attempt = nil
	return &Success{
		AdditionalData:          additional,
		AuthorizationIdentifier: s.result.JID,
		Extensions:              s.result.Success,
	}
}

// finish tells r, if it is a Finisher, how the authentication ended.
func finish(ctx context.Context, r Request, ok bool) {
	if f, is := r.(Finisher); is {
		f.Finish(ctx, ok)
	}
}

// fail ends the attempt; the stream may authenticate again.
func (s *Server) fail(err error) *Failure {
	f := failure(err)
	s.audit(Event{Kind: EventFailure, Condition: f.Condition, Err: err})
	s.state, s.attempt, s.required, s.task = idle, nil, nil, nil
	s.result = Result{}
	return f
}

func (s *Server) audit(e Event) {
	if s.cfg.Audit == nil {
		return
	}
	e.User, e.Mechanism, e.ClientID = s.result.User, s.result.Mechanism, s.result.ClientID
	s.cfg.Audit(e)
}
