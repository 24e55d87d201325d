package main

import (
	"sync"

	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
)

// router knows the bound sessions by JID. It is safe for concurrent use.
type router struct {
	mu    sync.RWMutex
	users map[xmlstream.JID]map[string]*session // bare JID → resource → session
}

// bind makes s reachable at its full JID and returns the sessions it
// displaces: one bound to the same full JID, and others of the same client
// (the same user-agent id under another resource), which XEP-0386 §3.2
// says the server should close.
func (r *router) bind(s *session) []*session {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users == nil {
		r.users = make(map[xmlstream.JID]map[string]*session)
	}
	bare := s.jid.Bare()
	res := r.users[bare]
	if res == nil {
		res = make(map[string]*session)
		r.users[bare] = res
	}

	var old []*session
	for name, o := range res {
		if name == s.jid.Resource || s.clientID != "" && o.clientID == s.clientID {
			old = append(old, o)
			delete(res, name)
		}
	}
	res[s.jid.Resource] = s
	return old
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
