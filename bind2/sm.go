package bind2

import (
	"context"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"

	"github.com/xmppauth/xmppauth/sasl2"
)

// SMEnable is the XEP-0198 <enable/> that a client puts in its bind
// request to manage the new session's stream (XEP-0198 §6.1).
type SMEnable struct {
	// Resume asks for a stream that can be resumed later.
	Resume bool
	// Max is the longest time in seconds the client would like the server
	// to keep the stream resumable, or 0 for no preference.
	Max uint32
}

// Element returns e as <enable xmlns='urn:xmpp:sm:3'/>.
func (e *SMEnable) Element() sasl2.Element {
	out := element(NSSM, "enable")
	if e.Resume {
		out.Attr = append(out.Attr, attr("resume", "true"))
	}
	if e.Max > 0 {
		out.Attr = append(out.Attr, attr("max", num(e.Max)))
	}
	return out
}

// ParseSMEnable reads <enable xmlns='urn:xmpp:sm:3'/>. It is lenient,
// since neither value is a promise: a 'resume' that is not an xs:boolean
// reads as false, a 'max' that is not an xs:unsignedInt as 0.
func ParseSMEnable(e sasl2.Element) (*SMEnable, error) {
	if err := is(e, NSSM, "enable"); err != nil {
		return nil, err
	}
	max, _ := count(e.Attribute("max"))
	return &SMEnable{Resume: boolean(e.Attribute("resume")), Max: max}, nil
}

// SMEnabled is the XEP-0198 <enabled/> that answers an SMEnable inside
// <bound>.
type SMEnabled struct {
	// ID identifies the stream for a later resumption; "" when the stream
	// cannot be resumed.
	ID string
	// Resume reports that the stream can be resumed.
	Resume bool
	// Max is the longest time in seconds the server keeps the stream
	// resumable, or 0 when it does not say.
	Max uint32
	// Location is where the client should reconnect to resume, or "".
	Location string
}

// Element returns e as <enabled xmlns='urn:xmpp:sm:3'/>.
func (e *SMEnabled) Element() sasl2.Element {
	out := element(NSSM, "enabled")
	out.Attr = make([]xml.Attr, 0, 4)
	if e.ID != "" {
		out.Attr = append(out.Attr, attr("id", e.ID))
	}
	if e.Resume {
		out.Attr = append(out.Attr, attr("resume", "true"))
	}
	if e.Max > 0 {
		out.Attr = append(out.Attr, attr("max", num(e.Max)))
	}
	if e.Location != "" {
		out.Attr = append(out.Attr, attr("location", e.Location))
	}
	return out
}

// ParseSMEnabled reads <enabled xmlns='urn:xmpp:sm:3'/>. It accepts
// 'resume' as any xs:boolean (Prosody sends "1"); a 'max' that is not an
// xs:unsignedInt reads as 0.
func ParseSMEnabled(e sasl2.Element) (*SMEnabled, error) {
	if err := is(e, NSSM, "enabled"); err != nil {
		return nil, err
	}
	max, _ := count(e.Attribute("max"))
	return &SMEnabled{
		ID:       e.Attribute("id"),
		Resume:   boolean(e.Attribute("resume")),
		Max:      max,
		Location: e.Attribute("location"),
	}, nil
}

// SMFailed is the XEP-0198 <failed/>. In <bound> it answers an SMEnable
// that failed; directly in <success> it answers a Resume that failed. It
// is also the error a Resume hook returns to say so with the count of
// handled stanzas.
type SMFailed struct {
	// H is the count of the client's stanzas that the server handled on the
	// former stream, sent only when HasH is true.
	H    uint32
	HasH bool
	// Err is the reason. Its Type is not sent.
	Err StanzaError
}

// Error returns "bind2: " and the condition, and the text if any.
func (f *SMFailed) Error() string { return f.Err.Error() }

// Element returns f as <failed xmlns='urn:xmpp:sm:3'/> holding the
// condition.
func (f *SMFailed) Element() sasl2.Element {
	out := element(NSSM, "failed")
	if f.HasH {
		out.Attr = []xml.Attr{attr("h", num(f.H))}
	}
	out.Children = f.Err.conditions()
	return out
}

// ParseSMFailed reads <failed xmlns='urn:xmpp:sm:3'/>. An 'h' that is not
// an xs:unsignedInt is ignored; a missing or unknown condition reads as
// UndefinedCondition.
func ParseSMFailed(e sasl2.Element) (*SMFailed, error) {
	if err := is(e, NSSM, "failed"); err != nil {
		return nil, err
	}
	f := &SMFailed{Err: parseStanzaError(e)}
	f.Err.Type = ""
	f.H, f.HasH = count(e.Attribute("h"))
	return f, nil
}

// Resume is the XEP-0198 <resume/> that a client puts directly in
// <authenticate> to resume a former stream (XEP-0198 §6.2).
type Resume struct {
	// PrevID is the id of the former stream, from its SMEnabled.
	PrevID string
	// H is the count of the server's stanzas the client handled.
	H uint32
}

// Element returns r as <resume xmlns='urn:xmpp:sm:3'/>.
func (r *Resume) Element() sasl2.Element {
	return counted("resume", r.PrevID, r.H)
}

// ParseResume reads <resume xmlns='urn:xmpp:sm:3'/>. Both attributes are
// required, and 'h' must be an xs:unsignedInt: stanzas would be lost or
// repeated on a guess.
func ParseResume(e sasl2.Element) (*Resume, error) {
	prev, h, err := parseCounted(e, "resume")
	if err != nil {
		return nil, err
	}
	return &Resume{PrevID: prev, H: h}, nil
}

// Resumed is the XEP-0198 <resumed/> that answers a Resume directly in
// <success>.
type Resumed struct {
	// PrevID is the id of the resumed stream. A server always sends the
	// one the client asked for.
	PrevID string
	// H is the count of the client's stanzas the server handled.
	H uint32
	// JID is the full JID of the resumed session, which goes into
	// <authorization-identifier>. It is not part of the element: a Resume
	// hook sets it, and ClientSM takes it from <success>.
	JID string
}

// Element returns r as <resumed xmlns='urn:xmpp:sm:3'/>.
func (r *Resumed) Element() sasl2.Element {
	return counted("resumed", r.PrevID, r.H)
}

// ParseResumed reads <resumed xmlns='urn:xmpp:sm:3'/>, as strictly as
// ParseResume.
func ParseResumed(e sasl2.Element) (*Resumed, error) {
	prev, h, err := parseCounted(e, "resumed")
	if err != nil {
		return nil, err
	}
	return &Resumed{PrevID: prev, H: h}, nil
}

// counted returns <resume/> or <resumed/>, which carry the same attributes.
func counted(local, prev string, h uint32) sasl2.Element {
	out := element(NSSM, local)
	out.Attr = []xml.Attr{attr("previd", prev), attr("h", num(h))}
	return out
}

// parseCounted reads <resume/> or <resumed/>. Both attributes are required.
func parseCounted(e sasl2.Element, local string) (string, uint32, error) {
	if err := is(e, NSSM, local); err != nil {
		return "", 0, err
	}
	prev := e.Attribute("previd")
	h, ok := count(e.Attribute("h"))
	if prev == "" || !ok {
		return "", 0, errors.New("bind2: " + local + " needs previd and a count h")
	}
	return prev, h, nil
}

// SMConfig configures inline stream resumption on the server (XEP-0198
// §6.2). It must not change once NewSM has used it.
type SMConfig struct {
	// Resume resumes the former stream req.PrevID of the account that
	// just authenticated. It must look the id up within r's account only:
	// an id must never let one account take over another's session. It
	// acknowledges req.H and returns the resumed stream's count of handled
	// stanzas and its full JID, which must belong to r's account. The host
	// completes the resumption (retransmits what is unacknowledged) only
	// after it has sent <success>, and sends no stream features after it.
	//
	// On failure Resume returns an *SMFailed, which carries the count when
	// it is known, or a *StanzaError; ItemNotFound fits an unknown or
	// expired id. Any other error is sent as internal-server-error with no
	// text. Either way authentication succeeds and Bind 2 goes on to bind
	// a new resource. A *sasl2.Failure fails the whole authentication
	// instead.
	//
	// Resume runs after every task has passed and never for a failed
	// authentication. It is called for many streams at once, and must not
	// change r. Nil means inline resumption is not offered.
	Resume func(ctx context.Context, r *sasl2.Result, req *Resume) (*Resumed, error)
}

// NewSM returns the server extension for inline stream resumption: it
// advertises <sm xmlns='urn:xmpp:sm:3'/> and handles a <resume/> in
// <authenticate>. It must come before the Bind 2 extension in
// sasl2.Config.Extensions: if Bind 2 has already bound a resource,
// resumption fails with UnexpectedRequest. When a stream is resumed, the
// Bind 2 extension sees the <resumed/> and binds nothing.
//
// XEP-0198 forbids resuming on the strength of TLS 0-RTT data alone; Go's
// crypto/tls accepts none, and a host that does must not call this
// extension for early data.
func NewSM(cfg SMConfig) sasl2.Extension {
	return &smServer{cfg: cfg}
}

type smServer struct {
	cfg SMConfig
}

func (x *smServer) Namespace() string { return NSSM }

func (x *smServer) Advertise(*sasl2.Conn) (sasl2.Element, bool) {
	return element(NSSM, "sm"), x.cfg.Resume != nil
}

// Request keeps the first <resume/>. A malformed one is answered with
// <failed/> at success rather than failing the authentication.
func (x *smServer) Request(_ context.Context, _ *sasl2.Conn,
	_ *sasl2.Authenticate, children []sasl2.Element) (sasl2.Request, error) {

	if x.cfg.Resume == nil {
		return nil, nil
	}
	for _, c := range children {
		if c.Name.Space == NSSM && c.Name.Local == "resume" {
			req, err := ParseResume(c)
			return &smRequest{cfg: &x.cfg, resume: req, bad: err != nil}, nil
		}
	}
	return nil, nil
}

type smRequest struct {
	cfg    *SMConfig
	resume *Resume
	bad    bool
}

func (q *smRequest) Success(ctx context.Context, r *sasl2.Result) error {
	fail := func(f *SMFailed) error {
		r.Success = append(r.Success, f.Element())
		return nil
	}
	failWith := func(cond string) error {
		return fail(&SMFailed{Err: StanzaError{Condition: cond}})
	}

	// XEP-0386 §3.2: resumption comes first. Bind 2 ran before us, so the
	// host configured the extensions in the wrong order; resuming now
	// would leave two sessions.
	if IsBound(r) {
		return failWith(UnexpectedRequest)
	}
	if q.bad {
		return failWith(BadRequest)
	}

	res, err := q.cfg.Resume(ctx, r, q.resume)
	if err != nil {
		var f *sasl2.Failure
		if errors.As(err, &f) {
			return err
		}
		var sf *SMFailed
		if errors.As(err, &sf) {
			return fail(sf)
		}
		return fail(&SMFailed{Err: stanzaError(err)})
	}
	if res == nil || !ofAccount(res.JID, r.JID) {
		return failWith(InternalServerError)
	}

	r.JID = res.JID
	out := Resumed{PrevID: q.resume.PrevID, H: res.H}
	r.Success = append(r.Success, out.Element())
	return nil
}

// ClientSM is the client side of inline stream resumption, a
// sasl2.ClientExtension. Set Resume to the stream to resume. It serves one
// negotiation at a time and is not safe for concurrent use; its results
// are those of the latest <success>.
type ClientSM struct {
	// Resume is the former stream to resume, or nil to ask for nothing.
	// It is sent only when the server advertised inline resumption.
	Resume *Resume

	sent    bool
	resumed *Resumed
	failed  *SMFailed
}

// Request returns the <resume/> for <authenticate> when Resume is set and
// the server advertised any child in NSSM in its SASL2 <inline>: XEP-0198
// names <sm/>, stale examples show <enable/> or <resume/>.
func (c *ClientSM) Request(_ *sasl2.Conn, inline []sasl2.Element) (sasl2.Element, bool) {
	c.sent, c.resumed, c.failed = false, nil, nil
	if c.Resume == nil {
		return sasl2.Element{}, false
	}
	for _, e := range inline {
		if e.Name.Space == NSSM {
			c.sent = true
			return c.Resume.Element(), true
		}
	}
	return sasl2.Element{}, false
}

// Success reads <resumed/> or <failed/> from <success>. A <resumed/> that
// was not asked for, names another stream or is malformed fails the
// authentication: the client cannot tell which stanzas to send again.
func (c *ClientSM) Success(s *sasl2.Success) error {
	for _, e := range s.Extensions {
		if e.Name.Space != NSSM {
			continue
		}
		switch e.Name.Local {
		case "resumed":
			res, err := ParseResumed(e)
			if err != nil {
				return err
			}
			if !c.sent || res.PrevID != c.Resume.PrevID {
				return errors.New("bind2: resumed a stream not asked for")
			}
			res.JID = s.AuthorizationIdentifier
			c.resumed = res
		case "failed":
			c.failed, _ = ParseSMFailed(e)
		}
	}
	return nil
}

// Resumed returns the resumed stream, or nil when none was resumed. Its JID
// is the session's full JID. XEP-0198 §6.2: the stream is re-established
// right after <success>; a client sends again what the server's H does not
// acknowledge, and does not wait for stream features (ignoring any that
// arrive).
func (c *ClientSM) Resumed() *Resumed { return c.resumed }

// Failed returns the server's <failed/> when resumption failed, or nil. The
// server then went on to bind a new session if the client asked for one.
func (c *ClientSM) Failed() *SMFailed { return c.failed }

// count parses an xs:unsignedInt.
func count(s string) (uint32, bool) {
	if s == "" {
		return 0, false // and no *NumError to allocate
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	return uint32(n), err == nil
}

// num formats an xs:unsignedInt.
func num(n uint32) string {
	return strconv.FormatUint(uint64(n), 10)
}

// boolean parses an xs:boolean; anything else is false.
func boolean(s string) bool {
	switch strings.TrimSpace(s) {
	case "true", "1":
		return true
	}
	return false
}

// has reports whether list holds an element with the given name.
func has(list []sasl2.Element, space, local string) bool {
	for _, e := range list {
		if e.Name.Space == space && e.Name.Local == local {
			return true
		}
	}
	return false
}

// stanzaError turns a hook's error into what goes on the wire: a
// *StanzaError as it is, anything else as internal-server-error without
// text, so that nothing about the host leaks.
func stanzaError(err error) StanzaError {
	var se *StanzaError
	if errors.As(err, &se) {
		return *se
	}
	return StanzaError{Condition: InternalServerError}
}
