package main

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/xmppauth/xmppauth/examples/internal/passwd"
	"github.com/xmppauth/xmppauth/examples/internal/termqr"
	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/mfa"
	mfasqlite "github.com/xmppauth/xmppauth/mfa/sqlitestore"
	"github.com/xmppauth/xmppauth/sasl2"
)

// mfaKeyFile is the name of the second-factor key in the data directory.
const mfaKeyFile = "mfa.key"

// Timeouts and sizes of the enrolment protocol.
const (
	// mfaTimeout bounds the store work of one enrolment IQ.
	mfaTimeout = 10 * time.Second
	// qrSize is the side, in pixels, of the QR code PNG sent with a TOTP
	// enrolment (docs/mfa.md §6.2).
	qrSize = 256
)

// mfaClock is the time the second factors and step-ups read. Tests pin
// it.
var mfaClock = time.Now

// mfaService is the server's second factors (docs/mfa.md): TOTP and
// recovery codes, the policy that asks one of every account that has
// enrolled one, and the enrolment IQs of §6. It is safe for concurrent
// use.
type mfaService struct {
	mfa      *mfa.Server
	totp     *mfa.TOTP
	recovery *mfa.Recovery
	tokens   *fast.Server // revoked when the factors change; nil without FAST
	log      *slog.Logger

	mu       sync.Mutex
	sessions map[*session]*mfaSession
}

// mfaSession is what the service keeps of one stream.
type mfaSession struct {
	// login is when the stream last logged in with its password; zero
	// after a token login.
	login time.Time
	// stepUp is the latest step-up, passed or under way.
	stepUp *mfa.StepUp
}

// mfaKeys derives from dir/mfa.key the key that seals TOTP secrets and
// the one that hashes recovery codes (HKDF, RFC 5869): one file, kept out
// of the database, whose loss costs every second factor.
func mfaKeys(dir string) (seal, hash []byte, err error) {
	key, err := keyFile(dir, mfaKeyFile,
		"every TOTP enrolment and recovery code is then refused")
	if err != nil {
		return nil, nil, err
	}
	seal, err = hkdf.Key(sha256.New, key, nil, "xmppauth example: TOTP sealing", 32)
	if err != nil {
		return nil, nil, err
	}
	hash, err = hkdf.Key(sha256.New, key, nil, "xmppauth example: recovery codes", 32)
	return seal, hash, err
}

// newMFA returns the second factors of the server for domain, with the
// keys of the data directory dir. tokens, when not nil, are revoked when
// an account's factors change; a nil log logs nothing.
func newMFA(dir, domain string, st *store, tokens *fast.Server, log *slog.Logger) (*mfaService, error) {
	sealKey, hashKey, err := mfaKeys(dir)
	if err != nil {
		return nil, err
	}
	sealer, err := fast.NewAESGCM(sealKey)
	if err != nil {
		return nil, err
	}
	// Beside the accounts and the FAST tokens, in the tables of
	// mfa/sqlitestore.
	db, err := mfasqlite.New(st.db)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	totp, err := mfa.NewTOTP(mfa.TOTPConfig{
		Store: db, Sealer: sealer, Issuer: domain, Now: mfaClock,
	})
	if err != nil {
		return nil, err
	}
	recovery, err := mfa.NewRecovery(mfa.RecoveryConfig{
		Store: db, Key: hashKey, Now: mfaClock,
	})
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &mfaService{
		// TOTP first: clients answer the first task offered that they
		// know, and a recovery code is for when the app is lost.
		mfa: mfa.NewServer(mfa.Config{
			Factors: []mfa.Factor{totp, recovery},
			Now:     mfaClock,
		}),
		totp: totp, recovery: recovery, tokens: tokens, log: log,
		sessions: make(map[*session]*mfaSession),
	}, nil
}

// enable makes srv ask second factors and answer the enrolment IQs.
// FAST's policy wraps the service's: a token login that recorded a
// factor passes without one, and one that did not is sent back to the
// password (XEP-0484 §4).
func (m *mfaService) enable(srv *server) {
	srv.accountIQ = m
	srv.sasl.Policy = m.policy
}

// policy is mfa's policy, which also notes when a stream logged in with
// its password, for the step-up rule of docs/mfa.md §6.5.
func (m *mfaService) policy(ctx context.Context, r *sasl2.Result) ([]sasl2.Alternatives, error) {
	alts, err := m.mfa.Policy()(ctx, r)
	if s, _ := ctx.Value(sessionKey{}).(*session); s != nil && err == nil {
		_, token := fast.Used(r)
		m.with(s, func(st *mfaSession) {
			st.login = time.Time{}
			if !token {
				st.login = mfaClock()
			}
		})
	}
	return alts, err
}

// with runs f on the state of s, made on first use and dropped when the
// session ends.
func (m *mfaService) with(s *session, f func(*mfaSession)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.sessions[s]
	if st == nil {
		st = &mfaSession{}
		m.sessions[s] = st
		go func() {
			<-s.done
			m.mu.Lock()
			defer m.mu.Unlock()
			delete(m.sessions, s)
		}()
	}
	f(st)
}

// handles reports whether the service answers the request p addressed to
// to: its own namespace, and disco#info of the user's own account, where
// it advertises the namespace (docs/mfa.md §3).
func (m *mfaService) handles(typ string, p *xmlstream.Element, to xmlstream.JID) bool {
	return p.Name.Space == mfa.NS ||
		typ == "get" && p.Name.Space == xmlstream.NSDiscoInfo &&
			p.Name.Local == "query" && to.Local != ""
}

// iqError is a request's stanza error (docs/mfa.md §6.6).
type iqError struct {
	typ, condition string
	stepUp         bool // add <step-up-required/>
}

func (e *iqError) Error() string { return "mfa iq: " + e.condition }

var (
	errBadRequest     = &iqError{"modify", "bad-request", false}
	errNotAuthorized  = &iqError{"auth", "not-authorized", false}
	errStepUpRequired = &iqError{"auth", "forbidden", true}
	errConflict       = &iqError{"cancel", "conflict", false}
	errItemNotFound   = &iqError{"cancel", "item-not-found", false}
	errInternal       = &iqError{"cancel", "internal-server-error", false}
	errNotImplemented = &iqError{"cancel", "feature-not-implemented", false}
)

// iq answers a request of the user's own: an IQ of docs/mfa.md §6 with
// payload p, or a disco#info query of the account.
func (m *mfaService) iq(s *session, e *xmlstream.Element, typ string, p *xmlstream.Element, to xmlstream.JID) error {
	ctx, cancel := context.WithTimeout(context.Background(), mfaTimeout)
	defer cancel()
	var result *sasl2.Element
	var err error
	if p.Name.Space == xmlstream.NSDiscoInfo {
		result = accountInfo(p.Attribute("node"))
	} else {
		result, err = m.request(ctx, s, typ, p.SASL2())
	}

	var ie *iqError
	switch {
	case err == nil:
		reply := xmlstream.Result(e, to.String())
		if result != nil {
			reply.Add(xmlstream.FromSASL2(*result))
		}
		return s.conn.Send(reply)
	case !errors.As(err, &ie):
		s.log.Error("second factor request failed", "user", s.jid.Local, "err", err)
		ie = errInternal
	}
	reply := xmlstream.ErrorReply(e, ie.typ, ie.condition)
	if ie.stepUp {
		reply.Child(xmlstream.NSClient, "error").
			Add(xmlstream.FromSASL2(mfa.StepUpRequired()))
	}
	return s.conn.Send(reply)
}

// accountInfo is the disco#info of an account: that it manages second
// factors.
func accountInfo(node string) *sasl2.Element {
	q := xmlstream.NewElement(xmlstream.NSDiscoInfo, "query", "node", node)
	if node == "" {
		q.Add(xmlstream.NewElement(xmlstream.NSDiscoInfo, "identity",
			"category", "account", "type", "registered"))
		q.Add(xmlstream.NewElement(xmlstream.NSDiscoInfo, "feature", "var", mfa.NS))
	}
	r := q.SASL2()
	return &r
}

// request runs one request of docs/mfa.md §6 for the session's account
// and returns the child of its result, or nil for an empty result.
func (m *mfaService) request(ctx context.Context, s *session, typ string, p sasl2.Element) (*sasl2.Element, error) {
	account := s.jid.Local
	switch {
	case typ == "get" && p.Name.Local == mfa.ElemFactors:
		list, err := m.mfa.Factors(ctx, account)
		if err != nil {
			return nil, err
		}
		r := mfa.FactorsElement(list)
		return &r, nil
	case typ != "set":
		return nil, errBadRequest
	}

	switch p.Name.Local {
	case mfa.ElemEnrol:
		r, err := mfa.ParseEnrol(p)
		if err != nil {
			return nil, errBadRequest
		}
		return m.enrol(ctx, s, r.Type)
	case mfa.ElemConfirm:
		r, err := mfa.ParseConfirm(p)
		if err != nil {
			return nil, errBadRequest
		}
		return nil, m.confirm(ctx, account, r)
	case mfa.ElemRemove:
		r, err := mfa.ParseRemove(p)
		if err != nil {
			return nil, errBadRequest
		}
		return nil, m.remove(ctx, s, r)
	case mfa.ElemStepUp:
		task := p.Attribute("task")
		if task == "" {
			return nil, errBadRequest
		}
		u, err := m.mfa.StepUp(ctx, account, task, p.Children)
		return m.stepped(s, u, err)
	case mfa.ElemStepUpData:
		var u *mfa.StepUp
		m.with(s, func(st *mfaSession) { u = st.stepUp })
		if u == nil || u.Passed || u.Data == nil {
			return nil, errItemNotFound
		}
		return m.stepped(s, u, u.Next(ctx, p.Children))
	}
	return nil, errBadRequest
}

// enrol begins an enrolment (§6.2, §6.4). Replacing recovery codes needs
// a fresh step-up; giving an account its first codes adds a factor,
// which revokes its FAST tokens.
func (m *mfaService) enrol(ctx context.Context, s *session, typ string) (*sasl2.Element, error) {
	account := s.jid.Local
	switch typ {
	case mfa.TypeTOTP:
		setup, err := m.totp.Enrol(ctx, account)
		if errors.Is(err, mfa.ErrConflict) {
			return nil, errConflict
		}
		if err != nil {
			return nil, err
		}
		r, err := setup.Element(qrSize)
		if err != nil {
			return nil, err
		}
		return &r, nil

	case mfa.TypeRecovery:
		had, err := m.recovery.Enrolled(ctx, account)
		if err != nil {
			return nil, err
		}
		if had {
			if err := m.fresh(ctx, s); err != nil {
				return nil, err
			}
		}
		codes, err := m.recovery.Generate(ctx, account)
		if err != nil {
			return nil, err
		}
		m.log.Info("recovery codes generated", "user", account, "replaced", had)
		if !had {
			if err := m.revoke(ctx, account); err != nil {
				return nil, err
			}
		}
		r := mfa.RecoveryEnrolled(codes)
		return &r, nil
	}
	// TODO: WebAuthn (mfa/webauthn) needs a relying party and origin
	// for the example's clients to name; none is configured.
	return nil, errNotImplemented
}

// confirm activates a pending TOTP enrolment (§6.2): the factor is added,
// which revokes the account's FAST tokens.
func (m *mfaService) confirm(ctx context.Context, account string, c *mfa.Confirm) error {
	if c.Type != mfa.TypeTOTP {
		return errBadRequest
	}
	el, err := mfa.One(c.Proof, mfa.ElemTOTP)
	if err != nil {
		return errBadRequest
	}
	err = m.totp.Confirm(ctx, account, strings.TrimSpace(el.Text))
	switch {
	case errors.Is(err, mfa.ErrNotFound):
		return errItemNotFound
	case errors.Is(err, sasl2.Fail(sasl2.NotAuthorized, "")):
		m.log.Info("TOTP enrolment not confirmed", "user", account, "err", err)
		return errNotAuthorized
	case err != nil:
		return err
	}
	m.log.Info("TOTP enrolled", "user", account)
	return m.revoke(ctx, account)
}

// remove removes a factor (§6.5) after a fresh step-up, and revokes the
// account's FAST tokens.
func (m *mfaService) remove(ctx context.Context, s *session, r *mfa.Remove) error {
	if r.ID != r.Type {
		// Only WebAuthn credentials have ids of their own.
		return errItemNotFound
	}
	if err := m.fresh(ctx, s); err != nil {
		return err
	}
	account := s.jid.Local
	var err error
	switch r.Type {
	case mfa.TypeTOTP:
		err = m.totp.Remove(ctx, account)
	case mfa.TypeRecovery:
		err = m.recovery.Remove(ctx, account)
	default:
		return errItemNotFound
	}
	if errors.Is(err, mfa.ErrNotFound) {
		return errItemNotFound
	}
	if err != nil {
		return err
	}
	m.log.Info("second factor removed", "user", account, "type", r.Type)
	return m.revoke(ctx, account)
}

// stepped records a step-up begun or continued, and returns its result.
// A failed one leaves a step-up passed earlier in place.
func (m *mfaService) stepped(s *session, u *mfa.StepUp, err error) (*sasl2.Element, error) {
	if err == nil {
		m.with(s, func(st *mfaSession) { st.stepUp = u })
	}
	switch {
	case errors.Is(err, mfa.ErrMalformed):
		return nil, errBadRequest
	case errors.Is(err, sasl2.Fail(sasl2.NotAuthorized, "")):
		m.log.Info("step-up failed", "user", s.jid.Local, "err", err)
		return nil, errNotAuthorized
	case err != nil:
		return nil, err
	}
	if u.Passed {
		m.log.Info("step-up passed", "user", s.jid.Local, "task", u.Task)
	}
	r := u.Element()
	return &r, nil
}

// fresh returns errStepUpRequired unless the session may make a
// sensitive change now: a step-up passed within mfa.StepUpWindow, or, for
// an account without factors, a password login within it (§6.5).
func (m *mfaService) fresh(ctx context.Context, s *session) error {
	var st mfaSession
	m.with(s, func(p *mfaSession) { st = *p })
	now := mfaClock()
	if st.stepUp.Fresh(now) {
		return nil
	}
	for _, f := range []mfa.Factor{m.totp, m.recovery} {
		ok, err := f.Enrolled(ctx, s.jid.Local)
		if err != nil {
			return err
		}
		if ok {
			return errStepUpRequired
		}
	}
	if st.login.IsZero() || now.Sub(st.login) >= mfa.StepUpWindow {
		return errStepUpRequired
	}
	return nil
}

// revoke revokes the account's FAST tokens, whose recorded factors no
// longer describe it (docs/mfa.md §7).
func (m *mfaService) revoke(ctx context.Context, account string) error {
	if m.tokens == nil {
		return nil
	}
	if err := m.tokens.Revoke(ctx, account); err != nil {
		return fmt.Errorf("server: the factors of %s changed, but its FAST tokens are not revoked: %w", account, err)
	}
	return nil
}

// enrolTOTP is adduser -totp: it enrols TOTP for jid, prints the otpauth
// URI on stdout and its QR code on stderr, and confirms the enrolment
// with the code on the next line of input. A script reads the URI, and
// writes a code computed from its secret.
func enrolTOTP(ctx context.Context, st *store, o *options, jid xmlstream.JID, lines *passwd.Lines, stdout, stderr io.Writer) error {
	m, err := newMFA(o.data, o.domain, st, nil, nil)
	if err != nil {
		return err
	}
	setup, err := m.totp.Enrol(ctx, jid.Local)
	if errors.Is(err, mfa.ErrConflict) {
		return fmt.Errorf("server: %s has TOTP already", jid)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, setup.URI)
	if err := termqr.Write(stderr, setup.URI); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "Scan the QR code, or add the otpauth URI printed above, in an authenticator app.")

	code, err := lines.Ask("code from the app: ")
	if err == nil {
		err = m.totp.Confirm(ctx, jid.Local, code)
	}
	if err != nil {
		// Nothing half done stays behind: no pending enrolment, and
		// no account or new password.
		m.totp.Remove(ctx, jid.Local)
		if errors.Is(err, sasl2.Fail(sasl2.NotAuthorized, "")) {
			err = errors.New("the code was not accepted")
		}
		return fmt.Errorf("server: enrolling TOTP for %s: %w", jid, err)
	}
	return nil
}
