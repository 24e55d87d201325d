package xmlstream

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/xmppauth/xmppauth/sasl2"
)

// MaxElementBytes bounds the bytes of one top-level element, and of the
// stream header.
const MaxElementBytes = 64 << 10

// WriteTimeout bounds one write: a peer that stops reading is dropped
// rather than allowed to block the goroutines that write to it.
const WriteTimeout = 30 * time.Second

// ErrTooLarge reports a top-level element over MaxElementBytes.
var ErrTooLarge = errors.New("xmlstream: element exceeds size limit")

// ErrClosed reports that the peer closed its stream with </stream:stream>.
var ErrClosed = errors.New("xmlstream: stream closed by peer")

var errRestricted = errors.New("xmlstream: restricted XML")

// Header is the interesting part of a stream header.
type Header struct {
	To, From, ID, Version, Lang string
}

// Conn is one XML stream over a network connection. Reading is for one
// goroutine at a time; Send and the other writing methods may be called
// concurrently with each other and with reading.
type Conn struct {
	raw net.Conn // the connection as given; closing it closes everything
	nc  net.Conn // raw, or the *tls.Conn over it
	br  *bufio.Reader
	lim *limitReader
	d   *xml.Decoder

	wmu    sync.Mutex
	opened bool // our stream header was written
	closed bool // our closing tag was written
}

// NewConn returns a stream over nc. Neither side has sent a header yet.
func NewConn(nc net.Conn) *Conn {
	c := &Conn{raw: nc, nc: nc}
	c.reset()
	return c
}

// reset starts reading afresh, for a new stream on the same or an upgraded
// connection (RFC 6120 §4.3.3).
func (c *Conn) reset() {
	c.br = bufio.NewReader(c.nc)
	c.lim = &limitReader{r: c.br}
	c.d = xml.NewDecoder(c.lim)
}

// NetConn returns the current connection: a *tls.Conn once TLS is up.
func (c *Conn) NetConn() net.Conn {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.nc
}

// TLS returns the connection's TLS state, or nil before TLS.
func (c *Conn) TLS() *tls.ConnectionState {
	tc, ok := c.NetConn().(*tls.Conn)
	if !ok {
		return nil
	}
	cs := tc.ConnectionState()
	return &cs
}

// SetReadDeadline sets the deadline for reading the next element. Like
// Close, it acts on the underlying connection at once, even while a TLS
// handshake runs.
func (c *Conn) SetReadDeadline(t time.Time) error {
	return c.raw.SetReadDeadline(t)
}

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	return c.raw.SetDeadline(t)
}

// Close closes the network connection without a closing tag. It does not
// wait for writes in progress, so it also unblocks them.
func (c *Conn) Close() error {
	return c.raw.Close()
}

// StartTLS upgrades the connection after <proceed/> was sent or received.
// wrap builds the TLS end (tls.Server or tls.Client) over the plain
// connection; the handshake runs within ctx, and reading restarts on the
// new connection, so both sides send new stream headers next.
func (c *Conn) StartTLS(ctx context.Context, wrap func(net.Conn) *tls.Conn) error {
	// Anything the peer sent after <starttls/> and before the handshake
	// would be lost; only whitespace is tolerated there (go-xmpp ends
	// <starttls/> with a newline).
	if n := c.br.Buffered(); n > 0 {
		rest, _ := c.br.Peek(n)
		if len(bytes.TrimSpace(rest)) > 0 {
			return errors.New("xmlstream: data after starttls")
		}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	tc := wrap(c.nc)
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	c.nc, c.opened, c.closed = tc, false, false
	c.reset()
	return nil
}

// ReadHeader reads the peer's XML declaration, if any, and stream header.
// It returns a *StreamError for a header in the wrong namespaces.
func (c *Conn) ReadHeader() (Header, error) {
	c.lim.n = MaxElementBytes
	for first := true; ; first = false {
		tok, err := c.d.Token()
		if err != nil {
			return Header{}, readError(err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			// Only the XML declaration, and only first.
			if t.Target != "xml" || !first {
				return Header{}, &StreamError{Condition: "restricted-xml"}
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return Header{}, &StreamError{Condition: "bad-format"}
			}
		case xml.StartElement:
			return header(t)
		default:
			return Header{}, &StreamError{Condition: "restricted-xml"}
		}
	}
}

func header(t xml.StartElement) (Header, error) {
	if t.Name.Space != NSStream || t.Name.Local != "stream" {
		return Header{}, &StreamError{Condition: "invalid-namespace"}
	}
	var h Header
	content := ""
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			content = a.Value
		case a.Name.Space == nsXML && a.Name.Local == "lang":
			h.Lang = a.Value
		case a.Name.Space == "":
			switch a.Name.Local {
			case "to":
				h.To = a.Value
			case "from":
				h.From = a.Value
			case "id":
				h.ID = a.Value
			case "version":
				h.Version = a.Value
			}
		}
	}
	if content != NSClient {
		return h, &StreamError{Condition: "invalid-namespace"}
	}
	return h, nil
}

// WriteHeader sends the XML declaration and our stream header.
func (c *Conn) WriteHeader(h Header) error {
	var b bytes.Buffer
	writeHeader(&b, h)
	return c.write(b.Bytes(), func() { c.opened = true })
}

// WriteHeaderWith sends our stream header and v, an element as Send takes
// it, in one Write: one TLS record, so one packet, for a client that knows
// its first element without waiting for the stream features, as a FAST
// reconnection does.
func (c *Conn) WriteHeaderWith(h Header, v any) error {
	var b bytes.Buffer
	writeHeader(&b, h)
	if err := encode(&b, v); err != nil {
		return err
	}
	return c.write(b.Bytes(), func() { c.opened = true })
}

func writeHeader(b *bytes.Buffer, h Header) {
	b.WriteString("<?xml version='1.0'?><stream:stream")
	attr(b, "xmlns", NSClient)
	attr(b, "xmlns:stream", NSStream)
	for _, a := range [][2]string{
		{"id", h.ID}, {"from", h.From}, {"to", h.To},
		{"version", h.Version}, {"xml:lang", h.Lang},
	} {
		if a[1] != "" {
			attr(b, a[0], a[1])
		}
	}
	b.WriteByte('>')
}

// NewID returns a random stream or stanza id.
func NewID() string {
	return strings.ToLower(rand.Text())
}

// Next reads the next top-level element. Elements in the SASL2 and XEP-0440
// namespaces come back as sasl2.Decode returns them; anything else as an
// *Element. Whitespace between elements is skipped. When the peer closes
// its stream Next returns ErrClosed; for input that breaks the stream it
// returns a *StreamError to send.
func (c *Conn) Next() (any, error) {
	c.lim.n = MaxElementBytes
	for {
		tok, err := c.d.Token()
		if err != nil {
			return nil, readError(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, &StreamError{Condition: "bad-format", Text: "text between elements"}
			}
			c.lim.n = MaxElementBytes
		case xml.StartElement:
			return c.element(t)
		case xml.EndElement:
			return nil, ErrClosed
		default:
			return nil, &StreamError{Condition: "restricted-xml"}
		}
	}
}

func (c *Conn) element(start xml.StartElement) (any, error) {
	switch start.Name.Space {
	case sasl2.NS, sasl2.NSChannelBinding:
		v, err := sasl2.Decode(c.d, start)
		if errors.Is(err, sasl2.ErrTooLarge) {
			return nil, &StreamError{Condition: "policy-violation", Text: err.Error()}
		}
		if errors.Is(err, sasl2.ErrMalformed) {
			return nil, &StreamError{Condition: "bad-format", Text: err.Error()}
		}
		if err != nil {
			return nil, readError(err)
		}
		return v, nil
	}
	e, err := decodeElement(c.d, start, 0)
	if err != nil {
		return nil, readError(err)
	}
	return e, nil
}

// readError turns a decoding error into a *StreamError where the peer broke
// the rules, and leaves I/O errors as they are.
func readError(err error) error {
	var syn *xml.SyntaxError
	switch {
	case errors.Is(err, ErrTooLarge):
		return &StreamError{Condition: "policy-violation", Text: err.Error()}
	case errors.Is(err, errDepth):
		return &StreamError{Condition: "policy-violation", Text: err.Error()}
	case errors.Is(err, errRestricted):
		return &StreamError{Condition: "restricted-xml"}
	case errors.As(err, &syn):
		if syn.Msg == "unexpected EOF" {
			return io.ErrUnexpectedEOF
		}
		return &StreamError{Condition: "not-well-formed", Text: syn.Msg}
	}
	return err
}

// Send writes one element: an *Element, or a value from package sasl2.
func (c *Conn) Send(v any) error {
	var b bytes.Buffer
	if err := encode(&b, v); err != nil {
		return err
	}
	return c.write(b.Bytes(), nil)
}

func encode(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case *Element:
		v.encode(b, NSClient)
	default:
		if err := xml.NewEncoder(b).Encode(v); err != nil {
			return fmt.Errorf("xmlstream: encoding %T: %w", v, err)
		}
	}
	return nil
}

// SendFeatures writes <stream:features> holding the given children, each
// an *Element or a value from package sasl2; nil children are skipped.
func (c *Conn) SendFeatures(children ...any) error {
	var b bytes.Buffer
	b.WriteString("<stream:features>")
	for _, ch := range children {
		switch v := ch.(type) {
		case nil:
		case *Element:
			if v != nil {
				v.encode(&b, NSStream)
			}
		default:
			if err := xml.NewEncoder(&b).Encode(v); err != nil {
				return fmt.Errorf("xmlstream: encoding %T: %w", v, err)
			}
		}
	}
	b.WriteString("</stream:features>")
	return c.write(b.Bytes(), nil)
}

// SendRaw writes a whitespace keep-alive or other raw bytes.
func (c *Conn) SendRaw(p []byte) error {
	return c.write(p, nil)
}

// ErrNotOpen reports that CloseStream found no stream of ours to close.
var ErrNotOpen = errors.New("xmlstream: no stream header sent")

// CloseStream writes our closing tag once; the connection stays open for
// the peer's closing tag (RFC 6120 §4.4). Before our stream header it
// writes nothing and returns ErrNotOpen.
func (c *Conn) CloseStream() error {
	c.wmu.Lock()
	opened := c.opened
	c.wmu.Unlock()
	if !opened {
		return ErrNotOpen
	}
	return c.write([]byte("</stream:stream>"), func() { c.closed = true })
}

// Fail sends a stream error and our closing tag, and closes the connection
// (RFC 6120 §4.9). A stream header goes first if none was sent yet. The
// error's Text is for logs and stays off the wire.
func (c *Conn) Fail(e *StreamError) error {
	c.wmu.Lock()
	opened := c.opened
	c.wmu.Unlock()
	if !opened {
		c.WriteHeader(Header{ID: NewID(), Version: "1.0"})
	}
	var b bytes.Buffer
	b.WriteString("<stream:error>")
	NewElement(NSStreamErrors, e.Condition).encode(&b, NSStream)
	b.WriteString("</stream:error></stream:stream>")
	err := c.write(b.Bytes(), func() { c.closed = true })
	c.Close()
	return err
}

// write sends p in one Write, unless our closing tag was already sent.
// done runs under the lock after a successful write.
func (c *Conn) write(p []byte, done func()) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.nc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	if _, err := c.nc.Write(p); err != nil {
		return err
	}
	if done != nil {
		done()
	}
	return nil
}

// StreamError is an RFC 6120 §4.9.3 stream error, sent by Fail or received
// from the peer.
type StreamError struct {
	Condition string
	// Text is for logs.
	Text string
}

func (e *StreamError) Error() string {
	if e.Text == "" {
		return "xmlstream: stream error: " + e.Condition
	}
	return "xmlstream: stream error: " + e.Condition + ": " + e.Text
}

// ParseStreamError returns the stream error that a received
// <stream:error> element carries.
func ParseStreamError(e *Element) *StreamError {
	se := &StreamError{Condition: "undefined-condition"}
	for _, c := range e.Children() {
		if c.Name.Space != NSStreamErrors {
			continue
		}
		if c.Name.Local == "text" {
			se.Text = c.Text()
		} else {
			se.Condition = c.Name.Local
		}
	}
	return se
}

// limitReader counts the bytes the decoder consumes and refuses more than
// its budget. It is an io.ByteReader, so encoding/xml reads through it
// byte by byte without a buffer of its own.
type limitReader struct {
	r *bufio.Reader
	n int
}

func (l *limitReader) ReadByte() (byte, error) {
	if l.n <= 0 {
		return 0, ErrTooLarge
	}
	b, err := l.r.ReadByte()
	if err == nil {
		l.n--
	}
	return b, err
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, ErrTooLarge
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= n
	return n, err
}
