package sasl2

import "context"

// Extension is the server side of an inline feature (XEP-0388 §2.1.1). One
// Extension serves every connection and must be safe for concurrent use.
type Extension interface {
	// Namespace is the namespace of the children of <authenticate> that
	// the extension receives.
	Namespace() string
	// Advertise returns the child of <inline> to send on c, or false to
	// offer nothing on this connection.
	Advertise(c *Conn) (Element, bool)
	// Request is called when an <authenticate> arrives, before the
	// mechanism runs, with the request's children in Namespace (possibly
	// none). It may veto the attempt by returning an error (a *Failure for
	// a defined condition). It returns the state that carries the request
	// to success, or nil when the extension has nothing to do.
	Request(ctx context.Context, c *Conn, a *Authenticate, children []Element) (Request, error)
}

// Request is one extension's share of one authentication attempt. It is
// dropped unused when the authentication fails before its Success runs
// (XEP-0388 §2.5: inline requests of a failed authentication are not
// processed).
//
// The Success methods run one after the other, and a later one may still
// fail the authentication after an earlier one wrote state: a token
// stored, a session created. A Request that must know whether its work
// stands implements Finisher.
type Request interface {
	// Success runs once every required task has passed, in the order the
	// extensions were configured, before <success> is sent. It may set
	// r.JID (Bind 2 binds a full JID) and append to r.Success. An error
	// fails the authentication closed; an extension that wants to report
	// its own failure inside a successful authentication appends it to
	// r.Success instead. A Request whose Success fails undoes its own
	// work before returning.
	Success(ctx context.Context, r *Result) error
}

// Finisher is implemented by a Request that must learn how the
// authentication ended once its Success returned nil.
//
// When every Success returned nil, the Server calls Finish(ctx, true) on
// each Finisher in the order the extensions were configured, just before
// it returns the <success>: the authentication can no longer fail, and
// audit records of what Success did belong here. When a Success fails,
// the Server calls Finish(ctx, false) on the Finishers whose Success had
// already returned nil, in reverse order, before it returns the
// <failure>: each undoes what its Success wrote, as far as it can. The
// Request whose Success failed is not finished. Finish is called at most
// once, and not at all for a Request whose Success never ran.
type Finisher interface {
	Finish(ctx context.Context, ok bool)
}

// Result is what a successful authentication established. Extensions and
// tasks read it; extensions may change JID and Success.
type Result struct {
	// User is the authenticated localpart.
	User string
	// JID is the authorization identifier for <success>: the bare JID, or
	// the full JID once a resource is bound.
	JID string
	// Mechanism is the mechanism that authenticated the user.
	Mechanism string
	// Credential is the mechanism's Step.Credential: nil for a password,
	// the token record for FAST. Policy reads it to decide on tasks.
	Credential any
	// UserAgent is the client's <user-agent>, or nil.
	UserAgent *UserAgent
	// ClientID is the validated, lower-case user-agent id, or "".
	ClientID string
	// Tasks lists the tasks that passed, in order.
	Tasks []string
	// Success holds the extra children of <success>: task results and
	// inline results.
	Success []Element
}

// ClientExtension is the client side of an inline feature.
type ClientExtension interface {
	// Request returns the child to add to <authenticate>, given the
	// inline features the server advertised, or false to add nothing.
	Request(c *Conn, inline []Element) (Element, bool)
	// Success reads the extension's results from <success>. An error
	// fails the authentication on the client.
	Success(s *Success) error
}

// InlineMechanisms is implemented by an Extension whose inline feature
// offers mechanisms of its own, as FAST offers its HT mechanisms inside
// <fast> rather than in <authentication> (XEP-0484 §3).
//
// Server.Features puts the names of the mechanisms it returns in
// Conn.Inline and leaves them out of <authentication>; the extension's
// Advertise, which runs next, lists them in its feature. An
// <authenticate> naming one of them runs the mechanism of that name that
// InlineMechanisms returns for the stream at that moment.
type InlineMechanisms interface {
	Extension
	// InlineMechanisms returns the mechanisms to offer on c, each one
	// available there.
	InlineMechanisms(c *Conn) []Mechanism
}

// ClientInlineMechanisms is implemented by a ClientExtension that can
// authenticate with mechanisms a server offers inside an inline feature.
//
// Client.Start calls it first, with the server's inline features. The
// names of the mechanisms it returns go into Conn.Inline, and the client
// tries those mechanisms, in order, before ClientConfig.Mechanisms: a
// client that holds a FAST token uses it rather than the password. The
// extension's Request runs after the pick: the extension's mechanism was
// picked when its Start was called and returned an exchange.
type ClientInlineMechanisms interface {
	ClientExtension
	// InlineMechanisms returns the mechanisms the server offers in inline
	// that the extension can run on c, strongest first, or none.
	InlineMechanisms(c *Conn, inline []Element) []ClientMechanism
}
