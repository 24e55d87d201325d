package xmlstream

// IsStanza reports whether e is a jabber:client message, presence or iq.
func IsStanza(e *Element) bool {
	if e.Name.Space != NSClient {
		return false
	}
	switch e.Name.Local {
	case "message", "presence", "iq":
		return true
	}
	return false
}

// Result returns the empty result of an iq, addressed back to its sender.
// from is the address the answer comes from ("" for the server itself).
func Result(iq *Element, from string) *Element {
	return NewElement(NSClient, "iq",
		"type", "result", "id", iq.Attribute("id"),
		"from", from, "to", iq.Attribute("from"))
}

// ErrorReply returns the stanza error (RFC 6120 §8.3) that answers s: an
// element of the same kind with type='error', the same id, and the
// addresses swapped. typ is the error type ("cancel", "modify", "auth",
// "wait") and condition the defined condition.
func ErrorReply(s *Element, typ, condition string) *Element {
	r := NewElement(NSClient, s.Name.Local,
		"type", "error", "id", s.Attribute("id"),
		"from", s.Attribute("to"), "to", s.Attribute("from"))
	r.Add(NewElement(NSClient, "error", "type", typ).
		Add(NewElement(NSStanzas, condition)))
	return r
}
