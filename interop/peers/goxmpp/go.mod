module github.com/xmppauth/xmppauth/interop/peers/goxmpp

go 1.26

require github.com/xmppo/go-xmpp v0.4.1
