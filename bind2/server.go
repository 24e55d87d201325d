package bind2

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/xmppauth/xmppauth/sasl2"
)

// Config configures Bind 2 on the server. It must not change once New has
// used it.
type Config struct {
	// Features lists the vars of the session features that a bind request
	// may enable inline, advertised in the feature's <inline>: NSCarbons,
	// NSCSI, NSSM or others. Requests for features not listed here are
	// dropped before Bind sees them.
	Features []string

	// Bind binds req.Resource to the stream of the account r describes
	// and starts the session, as XEP-0386 §3.2 asks:
	//
	//   - clear the user's offline messages without sending them (the
	//     client fetches them from the archive);
	//   - bind req.Resource, making req.JID the session's full JID;
	//   - take the newest id of the user's archive, for the XEP-0313
	//     <metadata> that Bound SHOULD carry;
	//   - enable each of req.Features: Message Carbons with no response,
	//     the CSI state with no response, stream management with an
	//     SMEnabled or SMFailed in Bound, which it MUST carry;
	//   - close earlier sessions of the same client, r.ClientID when it
	//     is not "" (SHOULD).
	//
	// Bind returns the children of <bound>. When it returns an error,
	// authentication still succeeds: <success> carries <failed
	// xmlns='urn:xmpp:bind:0'> with the error, the authorization
	// identifier stays the bare JID, and the client may bind the RFC 6120
	// way. A *StanzaError is sent as it is (Conflict, PolicyViolation,
	// ResourceConstraint...); any other error as internal-server-error with
	// no text. A *sasl2.Failure fails the whole authentication instead.
	//
	// Bind runs after every task has passed, never for a failed
	// authentication, and not at all when a stream was resumed inline. If
	// the client asked for stream management and Bound answers it neither
	// way, the server adds an SMFailed with InternalServerError.
	//
	// Bind is called for many streams at once, and must not change r.
	// Nil means Bind 2 is not offered.
	Bind func(ctx context.Context, r *sasl2.Result, req *Request) (*Bound, error)

	// Unbind, when not nil, undoes a Bind whose authentication failed
	// after it: an extension configured after Bind 2 (FAST issuing a
	// token, say) failed, so no <success> was sent. It receives the full
	// JID that Bind bound.
	Unbind func(ctx context.Context, jid string)

	// Secret keys the derivation of stable resources. With a secret, one
	// account, one user-agent id and one tag always get the same resource,
	// and neither the id nor a link between the tags of one device can be
	// read from it. It is secret: use 32 random bytes and keep them across
	// restarts and on every node of a cluster. Nil means every bind gets
	// a random resource, as does a client that sent no valid user-agent id.
	Secret []byte

	// Rand is the source of random resources, read for many streams at
	// once. Nil means crypto/rand.
	Rand io.Reader
}

// Request is a bind request as the Bind hook receives it: validated, with
// the resource derived.
type Request struct {
	// Tag is the client's <tag> as it appears in Resource, or "" when the
	// client sent none or it was not a valid resourcepart.
	Tag string
	// Resource is the resourcepart to bind: Tag, "/" and a suffix of
	// SuffixLen characters, or the suffix alone. It is never longer than
	// MaxResource octets.
	Resource string
	// JID is the full JID that binding establishes.
	JID string
	// Features holds the feature requests, in the client's order: at most
	// one per namespace listed in Config.Features, the first one the
	// client sent. A client that sent <enable xmlns='urn:xmpp:sm:3'/>
	// twice (xmpp.js does) is answered once.
	Features []sasl2.Element
}

// Feature returns the request for the feature in namespace space, or nil.
func (r *Request) Feature(space string) *sasl2.Element {
	for i := range r.Features {
		if r.Features[i].Name.Space == space {
			return &r.Features[i]
		}
	}
	return nil
}

// Carbons reports whether the client asked to enable Message Carbons
// (XEP-0280). They must then be enabled; no response goes into <bound>.
func (r *Request) Carbons() bool {
	e := r.Feature(NSCarbons)
	return e != nil && e.Name.Local == "enable"
}

// CSI returns the state the session starts in, "active" or "inactive"
// (XEP-0352), or "" when the client did not say.
func (r *Request) CSI() string {
	if e := r.Feature(NSCSI); e != nil {
		switch e.Name.Local {
		case "active", "inactive":
			return e.Name.Local
		}
	}
	return ""
}

// SM returns the client's stream management <enable/>, or nil.
func (r *Request) SM() *SMEnable {
	e := r.Feature(NSSM)
	if e == nil {
		return nil
	}
	en, err := ParseSMEnable(*e)
	if err != nil {
		return nil
	}
	return en
}

// New returns the server extension for Bind 2. It advertises the feature
// when cfg.Bind is set, keeps the first <bind> in NS of each
// <authenticate> (a <bind> in the older namespace urn:xmpp:bind2:1 is not
// one), and binds once authentication has succeeded, after the
// extensions before it in sasl2.Config.Extensions: put NewSM before it
// and FAST after it. It is safe for concurrent use.
func New(cfg Config) sasl2.Extension {
	f := Feature{Inline: cfg.Features}
	x := &server{cfg: cfg, feature: f.Element()}
	x.macs.New = newMAC(cfg.Secret)
	return x
}

type server struct {
	cfg     Config
	feature sasl2.Element
	macs    sync.Pool // of *mac
}

func (x *server) Namespace() string { return NS }

func (x *server) Advertise(*sasl2.Conn) (sasl2.Element, bool) {
	return x.feature, x.cfg.Bind != nil
}

func (x *server) Request(_ context.Context, _ *sasl2.Conn,
	_ *sasl2.Authenticate, children []sasl2.Element) (sasl2.Request, error) {

	if x.cfg.Bind == nil {
		return nil, nil
	}
	for _, c := range children {
		if b, err := ParseBind(c); err == nil {
			return &request{x: x, bind: b}, nil
		}
	}
	return nil, nil
}

// request carries one bind request to success.
type request struct {
	x    *server
	bind *Bind
	// bound is the full JID bound by Success, or "".
	bound string
}

// Finish undoes the bind when a later extension failed the
// authentication.
func (q *request) Finish(ctx context.Context, ok bool) {
	if !ok && q.bound != "" && q.x.cfg.Unbind != nil {
		q.x.cfg.Unbind(ctx, q.bound)
	}
}

func (q *request) Success(ctx context.Context, r *sasl2.Result) error {
	// XEP-0386 §3.2: a resumed stream has its resource; the bind request
	// is ignored entirely.
	if IsResumed(r) {
		return nil
	}
	failed := func(err StanzaError) error {
		r.Success = append(r.Success, (&Failed{Err: err}).Element())
		return nil
	}

	req := q.x.request(q.bind)
	bare := bareJID(r.JID)
	res, err := q.x.resource(bare, r.ClientID, req.Tag)
	if err != nil {
		return failed(StanzaError{Condition: InternalServerError})
	}
	req.Resource, req.JID = res, bare+"/"+res

	bound, err := q.x.cfg.Bind(ctx, r, req)
	if err != nil {
		var f *sasl2.Failure
		if errors.As(err, &f) {
			return err
		}
		return failed(stanzaError(err))
	}
	if bound == nil {
		bound = &Bound{}
	}

	// XEP-0198 §6.1: <bound> must answer an SM <enable/> one way or the
	// other. Clip, so that appending never writes into the hook's slice.
	out := bound.Element()
	sm := req.Feature(NSSM)
	if sm != nil && sm.Name.Local == "enable" &&
		!has(out.Children, NSSM, "enabled") &&
		!has(out.Children, NSSM, "failed") {
		f := SMFailed{Err: StanzaError{Condition: InternalServerError}}
		out.Children = append(slices.Clip(out.Children), f.Element())
	}
	r.JID, q.bound = req.JID, req.JID
	r.Success = append(r.Success, out)
	return nil
}

// request validates the tag and keeps the first request for each
// advertised feature.
func (x *server) request(b *Bind) *Request {
	req := &Request{Features: make([]sasl2.Element, 0, len(b.Payload))}
	req.Tag, _ = cleanTag(b.Tag)
	for _, e := range b.Payload {
		if !slices.Contains(x.cfg.Features, e.Name.Space) ||
			req.Feature(e.Name.Space) != nil {
			continue
		}
		req.Features = append(req.Features, e)
	}
	return req
}

func (x *server) rand() io.Reader {
	if x.cfg.Rand != nil {
		return x.cfg.Rand
	}
	return rand.Reader
}

// IsBound reports whether Bind 2 bound a resource in the authentication
// that r describes. The session is then established: the stream features
// that follow <success> must offer neither RFC 6120 resource binding nor
// <session/>, nor stream management if it was enabled inline. (Prosody
// offers them anyway, and xmpp.js then tries to bind a second time.)
func IsBound(r *sasl2.Result) bool {
	return has(r.Success, NS, "bound")
}

// IsResumed reports whether a stream was resumed inline in the
// authentication that r describes. XEP-0198 §6.2: the stream is
// re-established right after <success>, and the host sends no stream
// features, although XEP-0388 would have them.
func IsResumed(r *sasl2.Result) bool {
	return has(r.Success, NSSM, "resumed")
}
