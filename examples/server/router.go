package main

import (
	"sync"

	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
)

// maxResources is how many sessions one account may have bound at once.
// Each may hold maxQueue bytes for a slow reader, so the bound keeps what
// one account's credentials can make the server hold in proportion.
const maxResources = 16

// router knows the bound sessions by JID. It is safe for concurrent use.
type router struct {
	mu    sync.RWMutex
	users map[xmlstream.JID]map[string]*session // bare JID → resource → session
}

// bind makes s reachable at the full JID, which becomes s.jid, and
// returns the sessions it displaces: one bound to the same full JID, and
// others of the same client (the same user-agent id under another
// resource), which XEP-0386 §3.2 says the server should close. It returns
// errTooManyResources, and changes nothing, when the account would have
// more than maxResources sessions.
func (r *router) bind(s *session, full xmlstream.JID) ([]*session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bare := full.Bare()
	res := r.users[bare]

	var old []string
	for name, o := range res {
		if name == full.Resource || s.clientID != "" && o.clientID == s.clientID {
			old = append(old, name)
		}
	}
	if len(res)-len(old) >= maxResources {
		return nil, errTooManyResources
	}

	if r.users == nil {
		r.users = make(map[xmlstream.JID]map[string]*session)
	}
	if res == nil {
		res = make(map[string]*session)
		r.users[bare] = res
	}
	displaced := make([]*session, len(old))
	for i, name := range old {
		displaced[i] = res[name]
		delete(res, name)
	}
	s.jid = full
	res[full.Resource] = s
	return displaced, nil
}

// unbind removes s and reports whether it was still bound, that is, not
// replaced by a newer session.
func (r *router) unbind(s *session) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	bare := s.jid.Bare()
	if r.users[bare][s.jid.Resource] != s {
		return false
	}
	delete(r.users[bare], s.jid.Resource)
	if len(r.users[bare]) == 0 {
		delete(r.users, bare)
	}
	return true
}

// session returns the session bound to a full JID, or nil.
func (r *router) session(full xmlstream.JID) *session {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.users[full.Bare()][full.Resource]
}

// resources returns the sessions of an account.
func (r *router) resources(bare xmlstream.JID) []*session {
	r.mu.RLock()
	defer r.mu.RUnlock()
	res := r.users[bare.Bare()]
	out := make([]*session, 0, len(res))
	for _, s := range res {
		out = append(out, s)
	}
	return out
}
