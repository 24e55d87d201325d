package main

import (
	"encoding/xml"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/examples/internal/xmlstream"
)

// The tests in this file play a hostile or broken peer: one that sends
// what the stream layer must refuse, that stops reading, that guesses
// passwords, or that opens more than its share.

// TestDuplicateFromIsNotForwarded: a message with a second 'from' is not
// well-formed and ends the sender's stream; its recipient never sees it.
func TestDuplicateFromIsNotForwarded(t *testing.T) {
	ts := startServer(t)
	bob := ts.login(ts.config("bob"), bobPassword)
	mallory := ts.login(ts.config("alice"), alicePassword)

	m := xmlstream.NewElement(xmlstream.NSClient, "message",
		"from", "alice@localhost", "to", bob.JID().String(), "type", "chat")
	m.Attr = append(m.Attr, xml.Attr{Name: xml.Name{Local: "from"}, Value: "admin@localhost/console"})
	m.Add(xmlstream.NewElement(xmlstream.NSClient, "body").AddText("forged"))
	if err := mallory.Send(m); err != nil {
		t.Fatal(err)
	}
	_, err := mallory.Next(timeout(t))
	var se *xmlstream.StreamError
	if !errors.As(err, &se) || se.Condition != "not-well-formed" {
		t.Errorf("sender: err = %v, want a not-well-formed stream error", err)
	}

	alice := ts.login(ts.config("alice"), alicePassword)
	send(t, alice, bob.JID().String(), "genuine")
	if m := nextMessage(t, bob); body(m) != "genuine" {
		t.Errorf("bob got %s first", m)
	}
}

// TestStreamErrorsForWhatTheDecoderRefuses: what encoding/xml refuses
// before the stream header, or lets through, is answered with the stream
// error that names it.
func TestStreamErrorsForWhatTheDecoderRefuses(t *testing.T) {
	ts := startServer(t)
	header := "<stream:stream to='localhost' xmlns='jabber:client' " +
		"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
	for _, tc := range []struct {
		name, in, condition string
	}{
		{"ISO-8859-1", "<?xml version='1.0' encoding='ISO-8859-1'?>" + header, "unsupported-encoding"},
		{"UTF-16 declared", "<?xml version='1.0' encoding='UTF-16'?>" + header, "unsupported-encoding"},
		{"XML 1.1", "<?xml version='1.1'?>" + header, "not-well-formed"},
		{"two 'to' attributes", strings.Replace(header, "to='localhost'", "to='localhost' to='evil'", 1), "not-well-formed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := rawStream(t, dialPlain(t, ts), tc.in)
			if se := readStreamError(t, c); se.Condition != tc.condition {
				t.Errorf("got %s, want %s", se.Condition, tc.condition)
			}
		})
	}
}

// dialPlain connects to the server's STARTTLS port.
func dialPlain(t *testing.T, ts *testServer) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", ts.plain)
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// rawStream sends in on nc and reads the server's stream header.
func rawStream(t *testing.T, nc net.Conn, in string) *xmlstream.Conn {
	t.Helper()
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := xmlstream.NewConn(nc)
	if err := c.SendRaw([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	return c
}

// readStreamError reads elements until a stream error and returns it.
func readStreamError(t *testing.T, c *xmlstream.Conn) *xmlstream.StreamError {
	t.Helper()
	for {
		el, err := c.Next()
		if err != nil {
			t.Fatalf("no stream error: %v", err)
		}
		if e, ok := el.(*xmlstream.Element); ok && e.Name.Space == xmlstream.NSStream && e.Name.Local == "error" {
			return xmlstream.ParseStreamError(e)
		}
	}
}
