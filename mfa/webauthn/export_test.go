package webauthn

import "github.com/xmppauth/xmppauth/sasl2"

// Share makes the server task dst await the answer to the request that
// src sent, as if both had sent it, so that a test can race many answers
// to one challenge. Both must be tasks of a Factor.
func Share(dst, src sasl2.Task) {
	d, s := dst.(*task), src.(*task)
	d.f, d.account, d.id = s.f, s.account, s.id
}
