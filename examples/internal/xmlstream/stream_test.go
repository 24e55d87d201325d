package xmlstream

import (
	"encoding/xml"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/xmppauth/xmppauth/internal/xmltest"
	"github.com/xmppauth/xmppauth/sasl2"
)

const clientHeader = `<?xml version='1.0'?><stream:stream to='localhost' ` +
	`xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`

// peer returns a Conn reading what the returned function writes, as the
// other end of a connection would.
func peer(t *testing.T) (*Conn, func(string)) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	write := func(s string) {
		go func() {
			b.Write([]byte(s))
		}()
	}
	return NewConn(a), write
}

func TestReadHeaderAcceptsClientHeader(t *testing.T) {
	c, write := peer(t)
	write(`<?xml version='1.0'?><stream:stream from='alice@localhost' to='localhost' xml:lang='en' ` +
		`xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`)
	h, err := c.ReadHeader()
	if err != nil {
		t.Fatal(err)
	}
	want := Header{To: "localhost", From: "alice@localhost", Version: "1.0", Lang: "en"}
	if h != want {
		t.Errorf("header = %+v, want %+v", h, want)
	}
}

func TestReadHeaderRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in, condition string
	}{
		{"a server namespace", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>`, "invalid-namespace"},
		{"a wrong stream namespace", `<stream:stream xmlns='jabber:client' xmlns:stream='urn:example'>`, "invalid-namespace"},
		{"a DTD", `<!DOCTYPE x><stream:stream>`, "restricted-xml"},
		{"a comment", `<!-- hi --><stream:stream>`, "restricted-xml"},
		{"two 'to' attributes", strings.Replace(clientHeader, "to='localhost'", "to='localhost' to='evil'", 1), "not-well-formed"},
		{"ISO-8859-1", strings.Replace(clientHeader, "?>", " encoding='ISO-8859-1'?>", 1), "unsupported-encoding"},
		{"UTF-16 declared", strings.Replace(clientHeader, "?>", " encoding='UTF-16'?>", 1), "unsupported-encoding"},
		{"XML 1.1", strings.Replace(clientHeader, "version='1.0'?>", "version='1.1'?>", 1), "not-well-formed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, write := peer(t)
			write(tc.in)
			_, err := c.ReadHeader()
			var se *StreamError
			if !errors.As(err, &se) || se.Condition != tc.condition {
				t.Errorf("err = %v, want stream error %s", err, tc.condition)
			}
		})
	}
}

func TestReadHeaderAcceptsUTF8Declared(t *testing.T) {
	c, write := peer(t)
	write(strings.Replace(clientHeader, "?>", " encoding='utf-8'?>", 1))
	if _, err := c.ReadHeader(); err != nil {
		t.Fatal(err)
	}
}

func TestNextDecodesByNamespace(t *testing.T) {
	c, write := peer(t)
	write(clientHeader +
		` <response xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-1'>aGk=</response>` + "\n\t " +
		`<message to='bob@localhost' xml:lang='en'><body>a &lt; b <b xmlns='urn:x'>!</b> c</body></message>` +
		`</stream:stream>`)
	if _, err := c.ReadHeader(); err != nil {
		t.Fatal(err)
	}

	el, err := c.Next()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := el.(*sasl2.Response)
	if !ok || string(r.Data) != "hi" {
		t.Fatalf("first element = %#v, want a *sasl2.Response with data hi", el)
	}

	el, err = c.Next()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := el.(*Element)
	if !ok {
		t.Fatalf("second element = %T, want *Element", el)
	}
	if got := m.Child(NSClient, "body").Text(); got != "a < b  c" {
		t.Errorf("body text = %q", got)
	}
	same(t, m.String(),
		`<message xmlns='jabber:client' to='bob@localhost' xml:lang='en'><body>a &lt; b <b xmlns='urn:x'>!</b> c</body></message>`)

	if _, err := c.Next(); !errors.Is(err, ErrClosed) {
		t.Errorf("after </stream:stream>: err = %v, want ErrClosed", err)
	}
}

func TestNextRefuses(t *testing.T) {
	big := "<message><body>" + strings.Repeat("x", MaxElementBytes) + "</body></message>"
	deep := strings.Repeat("<a>", MaxDepth+2) + strings.Repeat("</a>", MaxDepth+2)
	wide := "<message><x xmlns='urn:x'>" + strings.Repeat("<a/>", MaxElements) + "</x></message>"
	attrs := "<message>" + strings.Repeat("<a b='' c='' d='' e=''/>", MaxAttrs/4+1) + "</message>"
	for _, tc := range []struct {
		name, in, condition string
	}{
		{"an element over the size limit", big, "policy-violation"},
		{"an element nested too deeply", deep, "policy-violation"},
		{"an element with too many descendants", wide, "policy-violation"},
		{"an element with too many attributes", attrs, "policy-violation"},
		{"two 'from' attributes", "<message from='a@localhost' from='admin@localhost/console'/>", "not-well-formed"},
		{"two attributes deep inside", "<message><x xmlns='urn:x'><y a='1' a='2'/></x></message>", "not-well-formed"},
		{"a second 'from' behind a prefix for no namespace", "<message from='a@localhost' xmlns:p='' p:from='b@localhost'/>", "not-well-formed"},
		{"two namespaced attributes", "<message xmlns:p='urn:x' xmlns:q='urn:x' p:a='1' q:a='2'/>", "not-well-formed"},
		{"two attributes on a SASL2 element", "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='A' mechanism='B'/>", "not-well-formed"},
		{"two attributes inside a SASL2 element", "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='A'><user-agent id='a' id='b'/></authenticate>", "not-well-formed"},
		{"a comment inside a SASL2 element", "<response xmlns='urn:xmpp:sasl:2'><!-- x -->AAAA</response>", "restricted-xml"},
		{"a SASL2 element over its limits", "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='A'>" + strings.Repeat("<a/>", sasl2.MaxElements+1) + "</authenticate>", "policy-violation"},
		{"text between elements", "hello<message/>", "bad-format"},
		{"text with no element after it", "hello", "bad-format"},
		{"a comment", "<message><!-- x --></message>", "restricted-xml"},
		{"a processing instruction", "<?php x?>", "restricted-xml"},
		{"a malformed SASL2 element", "<success xmlns='urn:xmpp:sasl:2'/>", "bad-format"},
		{"XML that is not well formed", "<message></iq>", "not-well-formed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, write := peer(t)
			write(clientHeader + tc.in)
			if _, err := c.ReadHeader(); err != nil {
				t.Fatal(err)
			}
			_, err := c.Next()
			var se *StreamError
			if !errors.As(err, &se) || se.Condition != tc.condition {
				t.Errorf("err = %v, want stream error %s", err, tc.condition)
			}
		})
	}
}

// TestSASL2NamesSurviveTheFilter: SASL2 elements reach sasl2.Decode through
// a second decoder; names come out as the stream's decoder translated
// them, prefixes and all.
func TestSASL2NamesSurviveTheFilter(t *testing.T) {
	c, write := peer(t)
	write(clientHeader + "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-1' xmlns:b='urn:xmpp:bind:0'>" +
		"<b:bind xml:lang='en'><b:tag>x</b:tag><enable xmlns='urn:x'/></b:bind>" +
		"<user-agent id='d4565fa7-4d72-4749-b3d3-740edbf87770'/></authenticate>")
	if _, err := c.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	el, err := c.Next()
	if err != nil {
		t.Fatal(err)
	}
	a, ok := el.(*sasl2.Authenticate)
	if !ok || a.UserAgent == nil || len(a.Extensions) != 1 {
		t.Fatalf("got %#v", el)
	}
	same(t, xmltest.Marshal(a.Extensions[0]),
		`<bind xmlns='urn:xmpp:bind:0' xml:lang='en'><tag>x</tag><enable xmlns='urn:x'/></bind>`)
}

// TestKeepAlivesCountTowardNoLimit: whitespace between elements, however
// much, neither uses up an element's budget nor fails the stream.
func TestKeepAlivesCountTowardNoLimit(t *testing.T) {
	c, write := peer(t)
	space := strings.Repeat(" \n", MaxElementBytes)
	msg := "<message><body>" + strings.Repeat("x", MaxElementBytes-100) + "</body></message>"
	write(clientHeader + space + msg + space + "<presence/>" + space + msg + "</stream:stream>")
	if _, err := c.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := c.Next(); err != nil {
			t.Fatalf("element %d: %v", i, err)
		}
	}
	if _, err := c.Next(); !errors.Is(err, ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
}

// TestFailCutsOffAPeerThatDoesNotRead: a stream error for a peer that
// stopped reading ends the write in progress and returns within
// FailTimeout, not WriteTimeout.
func TestFailCutsOffAPeerThatDoesNotRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		c := NewConn(a)
		sent := make(chan error)
		go func() {
			sent <- c.Send(NewElement(NSClient, "message"))
		}()
		synctest.Wait()

		start := time.Now()
		c.Fail(&StreamError{Condition: "resource-constraint"})
		if d := time.Since(start); d > FailTimeout {
			t.Errorf("Fail took %v", d)
		}
		if err := <-sent; err == nil {
			t.Error("the blocked Send succeeded")
		}
	})
}

func TestSizeLimitIsPerElement(t *testing.T) {
	// Many elements that together exceed the limit are fine, and so are
	// keep-alives between them.
	c, write := peer(t)
	msg := "<message><body>" + strings.Repeat("x", MaxElementBytes/2) + "</body></message> "
	write(clientHeader + strings.Repeat(msg, 5))
	if _, err := c.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := c.Next(); err != nil {
			t.Fatalf("element %d: %v", i, err)
		}
	}
}

func TestSendWritesOneElement(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	c := NewConn(a)
	got := make(chan string)
	go func() {
		buf, _ := io.ReadAll(b)
		got <- string(buf)
	}()

	if err := c.CloseStream(); !errors.Is(err, ErrNotOpen) {
		t.Errorf("CloseStream before the header: err = %v, want ErrNotOpen", err)
	}
	if err := c.WriteHeader(Header{ID: "x", From: "localhost", Version: "1.0"}); err != nil {
		t.Fatal(err)
	}
	m := NewElement(NSClient, "message", "to", "bob@localhost", "type", "chat").
		Add(NewElement(NSClient, "body").AddText("it's <3"))
	m.Attr = append(m.Attr, xmlAttr(nsXML, "lang", "en"), xmlAttr("urn:x", "y", "z"))
	if err := c.Send(m); err != nil {
		t.Fatal(err)
	}
	if err := c.SendFeatures(&sasl2.Authentication{Mechanisms: []string{"SCRAM-SHA-1"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseStream(); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(m); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Send after CloseStream: err = %v, want net.ErrClosed", err)
	}
	a.Close()

	same(t, <-got, `<stream:stream xmlns='jabber:client' xmlns:stream='`+NSStream+`' id='x' from='localhost' version='1.0'>`+
		`<message to='bob@localhost' type='chat' xml:lang='en' xmlns:p='urn:x' p:y='z'><body>it's &lt;3</body></message>`+
		`<stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>SCRAM-SHA-1</mechanism></authentication></stream:features>`+
		`</stream:stream>`)
}

func same(t *testing.T, got, want string) {
	t.Helper()
	if ok, diff := xmltest.Equal(got, want); !ok {
		t.Error(diff)
	}
}

func xmlAttr(space, local, value string) xml.Attr {
	return xml.Attr{Name: xml.Name{Space: space, Local: local}, Value: value}
}

func TestParseJID(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"Alice@LocalHost", "alice@localhost", true},
		{"alice@localhost./Phone/1", "alice@localhost/Phone/1", true},
		{"localhost", "localhost", true},
		{"@localhost", "", false},
		{"alice@", "", false},
		{"alice@localhost/", "", false},
		{"a b@localhost", "", false},
		{"", "", false},
	} {
		j, err := ParseJID(tc.in)
		if (err == nil) != tc.ok || tc.ok && j.String() != tc.want {
			t.Errorf("ParseJID(%q) = %q, %v; want %q, ok %v", tc.in, j, err, tc.want, tc.ok)
		}
	}
}

// TestWriteHeaderWithIsOneWrite: the header and the first element reach
// the peer in one Write, and the peer reads both in order.
func TestWriteHeaderWithIsOneWrite(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	writes := make(chan string, 4)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := b.Read(buf)
			if err != nil {
				close(writes)
				return
			}
			writes <- string(buf[:n])
		}
	}()
	c := NewConn(a)
	err := c.WriteHeaderWith(Header{To: "localhost", From: "alice@localhost", Version: "1.0"},
		&sasl2.Authenticate{Mechanism: "HT-SHA-256-NONE", InitialResponse: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	first := <-writes
	if _, more := <-writes; more {
		t.Errorf("more than one write")
	}
	r := NewConn(fakeConn{strings.NewReader(first)})
	if h, err := r.ReadHeader(); err != nil || h.From != "alice@localhost" {
		t.Fatalf("header %+v, %v in %q", h, err, first)
	}
	if el, err := r.Next(); err != nil {
		t.Fatalf("%v in %q", err, first)
	} else if a, ok := el.(*sasl2.Authenticate); !ok || a.Mechanism != "HT-SHA-256-NONE" {
		t.Errorf("got %#v", el)
	}
	if !c.opened {
		t.Error("the stream is not marked open")
	}
}

// fakeConn is a net.Conn that reads from r.
type fakeConn struct{ r io.Reader }

func (f fakeConn) Read(p []byte) (int, error)       { return f.r.Read(p) }
func (f fakeConn) Write(p []byte) (int, error)      { return len(p), nil }
func (f fakeConn) Close() error                     { return nil }
func (f fakeConn) LocalAddr() net.Addr              { return nil }
func (f fakeConn) RemoteAddr() net.Addr             { return nil }
func (f fakeConn) SetDeadline(time.Time) error      { return nil }
func (f fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (f fakeConn) SetWriteDeadline(time.Time) error { return nil }
