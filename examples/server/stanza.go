package main

import (
	"context"

	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
	"github.com/xmppauth/xmppauth/sasl2"
)

// Namespaces of the extensions the server answers.
const (
	nsCarbons = "urn:xmpp:carbons:2"
	nsForward = "urn:xmpp:forward:0"
	nsHints   = "urn:xmpp:hints"
	nsCSI     = "urn:xmpp:csi:0"
)

// stanzas reads and routes stanzas until the stream ends. m is the finished
// negotiation: a SASL2 element now is out of order, and m says so.
func (s *session) stanzas(ctx context.Context, m *sasl2.Server) error {
	for {
		el, err := s.conn.Next()
		if err != nil {
			return err
		}
		e, ok := el.(*xmlstream.Element)
		if !ok {
			// XEP-0388 §2.5: another <authenticate> after success is
			// a stream error.
			_, err := m.Receive(ctx, el)
			return streamError(err)
		}
		if e.Name.Space == nsCSI && s.jid.Resource != "" {
			// XEP-0352 <active/> and <inactive/>: a hint that this
			// server, which queues nothing, has no use for.
			continue
		}
		if !xmlstream.IsStanza(e) {
			return &xmlstream.StreamError{Condition: "unsupported-stanza-type", Text: clip(e.Name.Local)}
		}
		if err := s.stanza(e); err != nil {
			return err
		}
	}
}

// stanza handles one stanza from the client.
func (s *session) stanza(e *xmlstream.Element) error {
	if s.jid.Resource == "" {
		// RFC 6120 §7.1: nothing but binding before a resource is bound.
		return s.unbound(e)
	}
	// The server stamps the sender's address (RFC 6120 §8.1.2.1).
	e.SetAttr("from", s.jid.String())
	var to xmlstream.JID
	if t := e.Attribute("to"); t != "" {
		j, err := xmlstream.ParseJID(t)
		if err != nil {
			s.bounce(e, "modify", "jid-malformed")
			return nil
		}
		to = j
	}

	switch e.Name.Local {
	case "iq":
		return s.iq(e, to)
	case "message":
		s.message(e, to)
	case "presence":
		s.presence(e, to)
	}
	return nil
}

// unbound answers the RFC 6120 bind and session requests of a client that
// did not bind with Bind 2.
func (s *session) unbound(e *xmlstream.Element) error {
	if e.Name.Local != "iq" || e.Attribute("type") != "set" {
		return &xmlstream.StreamError{Condition: "not-authorized", Text: "no resource bound"}
	}
	if e.Child(xmlstream.NSSession, "session") != nil {
		return s.conn.Send(xmlstream.Result(e, ""))
	}
	b := e.Child(xmlstream.NSBind, "bind")
	if b == nil {
		return &xmlstream.StreamError{Condition: "not-authorized", Text: "no resource bound"}
	}

	jid := s.jid.Bare()
	jid.Resource = xmlstream.NewID()
	if r := b.Child(xmlstream.NSBind, "resource"); r != nil && r.Text() != "" {
		j, err := xmlstream.ParseJID(jid.Bare().String() + "/" + r.Text())
		if err != nil {
			return s.conn.Send(xmlstream.ErrorReply(e, "modify", "bad-request"))
		}
		jid = j
	}
	if err := s.bindTo(jid); err != nil {
		// RFC 6120 §7.6.2.1.
		return s.conn.Send(xmlstream.ErrorReply(e, "wait", "resource-constraint"))
	}
	s.log.Info("bound", "jid", clip(jid.String()))
	return s.conn.Send(xmlstream.Result(e, "").Add(
		xmlstream.NewElement(xmlstream.NSBind, "bind").Add(
			xmlstream.NewElement(xmlstream.NSBind, "jid").AddText(jid.String()))))
}

// local reports whether to is this server or an account on it.
func (s *session) local(to xmlstream.JID) bool {
	return to.Domain == s.srv.domain
}

// iq answers requests to the server and to the user's own account, and
// passes others to the resource they name (RFC 6120 §8.2.3, RFC 6121 §8).
func (s *session) iq(e *xmlstream.Element, to xmlstream.JID) error {
	typ := e.Attribute("type")
	request := typ == "get" || typ == "set"
	if !request && typ != "result" && typ != "error" || e.Attribute("id") == "" {
		s.bounce(e, "modify", "bad-request")
		return nil
	}
	switch {
	case !to.IsZero() && !s.local(to):
		s.bounce(e, "cancel", "remote-server-not-found")
	case to.IsZero() || to == s.jid.Bare() || to.Local == "" && to.Resource == "":
		if request {
			return s.serverIQ(e, typ, to)
		}
	case to.Resource != "":
		if r := s.srv.router.session(to); r != nil {
			r.deliver(e.Bytes())
		} else {
			s.bounce(e, "cancel", "service-unavailable")
		}
	default:
		// A request to another account's bare JID is the server's to
		// answer on its behalf; this one has nothing to say.
		s.bounce(e, "cancel", "service-unavailable")
	}
	return nil
}

// serverIQ answers a get or set addressed to the server or to the user's
// own bare JID.
func (s *session) serverIQ(e *xmlstream.Element, typ string, to xmlstream.JID) error {
	payload := e.Children()
	if len(payload) != 1 {
		return s.conn.Send(xmlstream.ErrorReply(e, "modify", "bad-request"))
	}
	p := payload[0]
	from := to.String()
	reply := func(children ...*xmlstream.Element) error {
		return s.conn.Send(xmlstream.Result(e, from).Add(children...))
	}

	switch {
	case typ == "get" && p.Name.Space == xmlstream.NSPing:
		return reply()
	case typ == "get" && p.Name.Space == xmlstream.NSDiscoInfo && to.Local == "":
		return reply(s.srv.discoInfo(p.Attribute("node")))
	case typ == "get" && p.Name.Space == xmlstream.NSRoster:
		// No rosters here: every account's roster is empty.
		return reply(xmlstream.NewElement(xmlstream.NSRoster, "query"))
	case typ == "set" && p.Name.Space == xmlstream.NSSession:
		return reply()
	case typ == "set" && p.Name.Space == nsCarbons && (p.Name.Local == "enable" || p.Name.Local == "disable"):
		s.carbons.Store(p.Name.Local == "enable")
		return reply()
	case typ == "set" && p.Name.Space == xmlstream.NSBind:
		return s.conn.Send(xmlstream.ErrorReply(e, "cancel", "not-allowed"))
	case s.srv.accountIQ != nil && s.srv.accountIQ.handles(typ, p, to):
		return s.srv.accountIQ.iq(s, e, typ, p, to)
	}
	return s.conn.Send(xmlstream.ErrorReply(e, "cancel", "service-unavailable"))
}

// iqHandler answers requests to the server or to the user's own account
// that serverIQ does not: the second-factor IQs of mfa.go.
type iqHandler interface {
	handles(typ string, p *xmlstream.Element, to xmlstream.JID) bool
	iq(s *session, e *xmlstream.Element, typ string, p *xmlstream.Element, to xmlstream.JID) error
}

// discoInfo returns the server's XEP-0030 identity and features.
func (srv *server) discoInfo(node string) *xmlstream.Element {
	q := xmlstream.NewElement(xmlstream.NSDiscoInfo, "query", "node", node)
	if node != "" {
		return q
	}
	q.Add(xmlstream.NewElement(xmlstream.NSDiscoInfo, "identity",
		"category", "server", "type", "im", "name", "xmppauth example"))
	for _, f := range []string{xmlstream.NSDiscoInfo, xmlstream.NSPing, nsCarbons} {
		q.Add(xmlstream.NewElement(xmlstream.NSDiscoInfo, "feature", "var", f))
	}
	return q
}

// message routes a message (RFC 6121 §8.5): to the named resource when it
// is online, else to every resource of the account; a message nobody can
// receive is bounced, since this server stores nothing offline.
func (s *session) message(e *xmlstream.Element, to xmlstream.JID) {
	typ := e.Attribute("type")
	if to.IsZero() {
		// RFC 6120 §10.3.1: no 'to' means the sender's own bare JID.
		to = s.jid.Bare()
	}
	switch {
	case !s.local(to):
		s.bounce(e, "cancel", "remote-server-not-found")
		return
	case to.Local == "":
		s.bounce(e, "cancel", "service-unavailable")
		return
	}
	copyCarbons("sent", s, e, typ)

	p := e.Bytes()
	if to.Resource != "" {
		if r := s.srv.router.session(to); r != nil {
			r.deliver(p)
			copyCarbons("received", r, e, typ)
			return
		}
		if typ == "groupchat" || typ == "error" {
			s.bounce(e, "cancel", "service-unavailable")
			return
		}
	}
	rs := s.srv.router.resources(to)
	if len(rs) == 0 {
		if typ != "headline" {
			s.bounce(e, "cancel", "service-unavailable")
		}
		return
	}
	for _, r := range rs {
		r.deliver(p)
	}
}

// presence broadcasts the user's own presence to the account's resources
// (there is no roster to broadcast further) and routes directed presence
// to the resource or account it names.
func (s *session) presence(e *xmlstream.Element, to xmlstream.JID) {
	typ := e.Attribute("type")
	switch {
	case to.IsZero():
		if typ == "" || typ == "unavailable" {
			s.available = typ == ""
			s.broadcast(e)
		}
	case !s.local(to) || to.Local == "":
		// Nothing to do: no federation, and the server has no presence.
	case to.Resource != "":
		if r := s.srv.router.session(to); r != nil {
			r.deliver(e.Bytes())
		}
	default:
		p := e.Bytes()
		for _, r := range s.srv.router.resources(to) {
			r.deliver(p)
		}
	}
}

// broadcast sends e to every resource of the account, this one included
// (RFC 6121 §4.2.2).
func (s *session) broadcast(e *xmlstream.Element) {
	p := e.Bytes()
	for _, r := range s.srv.router.resources(s.jid) {
		r.deliver(p)
	}
}

// bounce answers a stanza with an error, unless it is an error or a result
// itself, which are never answered (RFC 6120 §8.3.1).
func (s *session) bounce(e *xmlstream.Element, typ, condition string) {
	switch e.Attribute("type") {
	case "error", "result":
		return
	}
	if e.Name.Local == "presence" {
		return
	}
	s.deliver(xmlstream.ErrorReply(e, typ, condition).Bytes())
}

// carbon reports whether XEP-0280 copies a message: chat messages that do
// not ask to be left alone.
func carbon(e *xmlstream.Element, typ string) bool {
	return typ == "chat" && e.Child(nsCarbons, "private") == nil &&
		e.Child(nsHints, "no-copy") == nil
}

// copyCarbons sends XEP-0280 copies of a message to the resources of
// owner's account that enabled carbons, other than owner: "sent" copies of
// what owner sent (§6), "received" copies of what was delivered to owner
// (§5).
func copyCarbons(kind string, owner *session, e *xmlstream.Element, typ string) {
	if !carbon(e, typ) {
		return
	}
	for _, r := range owner.srv.router.resources(owner.jid) {
		if r != owner && r.carbons.Load() {
			r.deliver(wrapCarbon(kind, owner.jid.Bare(), r.jid, e).Bytes())
		}
	}
}

func wrapCarbon(kind string, from, to xmlstream.JID, e *xmlstream.Element) *xmlstream.Element {
	return xmlstream.NewElement(xmlstream.NSClient, "message",
		"type", "chat", "from", from.String(), "to", to.String()).Add(
		xmlstream.NewElement(nsCarbons, kind).Add(
			xmlstream.NewElement(nsForward, "forwarded").Add(e)))
}
