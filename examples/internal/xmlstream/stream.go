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
	"sync/atomic"
	"time"

	"github.com/xmppauth/xmppauth/sasl2"
)

// MaxElementBytes bounds the bytes of one top-level element, and of the
// stream header.
const MaxElementBytes = 64 << 10

// WriteTimeout bounds one write: a peer that stops reading is dropped
// rather than allowed to block the goroutines that write to it.
const WriteTimeout = 30 * time.Second

// FailTimeout bounds how long Fail tries to deliver a stream error, a
// write in progress included: the stream is ending, and a peer that does
// not read it is cut off sooner than WriteTimeout would.
const FailTimeout = 5 * time.Second

// ErrTooLarge reports a top-level element over MaxElementBytes.
var ErrTooLarge = errors.New("xmlstream: element exceeds size limit")

// ErrClosed reports that the peer closed its stream with </stream:stream>.
var ErrClosed = errors.New("xmlstream: stream closed by peer")

var (
	errRestricted = errors.New("xmlstream: restricted XML")
	errEncoding   = errors.New("xmlstream: encoding other than UTF-8")
)

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

	// wmu is held while writing: a channel rather than a sync.Mutex, so
	// that a goroutine waiting for it is durably blocked in a
	// testing/synctest bubble and fake time can pass.
	wmu    chan struct{}
	opened bool // our stream header was written
	// failBy is when Fail gives up, in Unix nanoseconds, or 0: no write
	// may last longer once a stream error is on its way.
	failBy atomic.Int64
	closed bool // our closing tag was written
}

// NewConn returns a stream over nc. Neither side has sent a header yet.
func NewConn(nc net.Conn) *Conn {
	c := &Conn{raw: nc, nc: nc, wmu: make(chan struct{}, 1)}
	c.reset()
	return c
}

func (c *Conn) lock()   { c.wmu <- struct{}{} }
func (c *Conn) unlock() { <-c.wmu }

// reset starts reading afresh, for a new stream on the same or an upgraded
// connection (RFC 6120 §4.3.3).
func (c *Conn) reset() {
	c.br = bufio.NewReader(c.nc)
	c.lim = &limitReader{r: c.br}
	c.d = xml.NewDecoder(c.lim)
	// Called for an XML declaration that names an encoding other than
	// UTF-8, which RFC 6120 §11.6 does not allow.
	c.d.CharsetReader = func(string, io.Reader) (io.Reader, error) {
		return nil, errEncoding
	}
}

// NetConn returns the current connection: a *tls.Conn once TLS is up.
func (c *Conn) NetConn() net.Conn {
	c.lock()
	defer c.unlock()
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
	c.lock()
	defer c.unlock()
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
	if err := uniqueAttrs(t.Attr); err != nil {
		return Header{}, readError(err)
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
	if err := c.skipSpace(); err != nil {
		return nil, err
	}
	c.lim.n = MaxElementBytes
	tok, err := c.d.Token()
	if err != nil {
		return nil, readError(err)
	}
	switch t := tok.(type) {
	case xml.CharData:
		return nil, &StreamError{Condition: "bad-format", Text: "text between elements"}
	case xml.StartElement:
		return c.element(t)
	case xml.EndElement:
		return nil, ErrClosed
	default:
		return nil, &StreamError{Condition: "restricted-xml"}
	}
}

// skipSpace discards the whitespace before the next top-level element
// byte by byte, before the decoder sees it: keep-alives then cost neither
// the next element's byte budget nor the decoder's buffer, however many a
// long session sends. The decoder has read nothing past the '>' that
// ended the last element or the stream header, so it goes on from here.
// Anything but '<' next is text between elements, refused without
// waiting for the rest of it.
func (c *Conn) skipSpace() error {
	for {
		b, err := c.br.ReadByte()
		if err != nil {
			return err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case '<':
			return c.br.UnreadByte()
		}
		return &StreamError{Condition: "bad-format", Text: "text between elements"}
	}
}

func (c *Conn) element(start xml.StartElement) (any, error) {
	switch start.Name.Space {
	case sasl2.NS, sasl2.NSChannelBinding:
		return c.sasl2(start)
	}
	e, err := decodeElement(c.d, start)
	if err != nil {
		return nil, readError(err)
	}
	return e, nil
}

// sasl2 decodes the SASL2 or XEP-0440 element that start opens with
// sasl2.Decode and its Limits, reading through a filter that refuses
// duplicate attributes as decodeElement does.
func (c *Conn) sasl2(start xml.StartElement) (any, error) {
	d := xml.NewTokenDecoder(&uniqueFilter{d: c.d, start: &start})
	tok, err := d.Token()
	if err != nil {
		return nil, readError(err)
	}
	v, err := sasl2.Decode(d, tok.(xml.StartElement))
	if errors.Is(err, sasl2.ErrMalformed) {
		return nil, &StreamError{Condition: "bad-format", Text: err.Error()}
	}
	if err != nil {
		return nil, readError(err)
	}
	return v, nil
}

// uniqueFilter passes the tokens of one element from the stream's decoder
// to another, start first, and fails on an element with a duplicate
// attribute. The names it passes are translated already; it drops the
// namespace declarations, so that the decoder reading from it, which
// translates again, has no prefix to apply and leaves every name as it is.
type uniqueFilter struct {
	d     *xml.Decoder
	start *xml.StartElement // not yet passed on
}

func (f *uniqueFilter) Token() (xml.Token, error) {
	var tok xml.Token
	if f.start != nil {
		tok, f.start = *f.start, nil
	} else {
		t, err := f.d.Token()
		if err != nil {
			return nil, err
		}
		tok = t
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return tok, nil
	}
	if err := uniqueAttrs(start.Attr); err != nil {
		return nil, err
	}
	attrs := make([]xml.Attr, 0, len(start.Attr))
	for _, a := range start.Attr {
		if a.Name.Space != "xmlns" && (a.Name.Space != "" || a.Name.Local != "xmlns") {
			attrs = append(attrs, a)
		}
	}
	start.Attr = attrs
	return start, nil
}

// readError turns a decoding error into a *StreamError where the peer broke
// the rules, and returns errors of the connection itself as they are.
func readError(err error) error {
	var ce connError
	if errors.As(err, &ce) {
		return ce.err
	}
	if errors.Is(err, io.EOF) {
		return err
	}
	var syn *xml.SyntaxError
	isSyntax := errors.As(err, &syn)
	switch {
	case isSyntax && syn.Msg == "unexpected EOF":
		return io.ErrUnexpectedEOF
	case isSyntax:
		return &StreamError{Condition: "not-well-formed", Text: syn.Msg}
	case errors.Is(err, ErrTooLarge), errors.Is(err, sasl2.ErrTooLarge),
		errors.Is(err, errDepth), errors.Is(err, errElements),
		errors.Is(err, errAttrs):
		return &StreamError{Condition: "policy-violation", Text: err.Error()}
	case errors.Is(err, errRestricted), errors.Is(err, sasl2.ErrRestricted):
		return &StreamError{Condition: "restricted-xml", Text: err.Error()}
	case errors.Is(err, errEncoding):
		// RFC 6120 §4.9.3.22.
		return &StreamError{Condition: "unsupported-encoding", Text: err.Error()}
	}
	// Anything else the decoder refused is in the peer's XML too: a
	// duplicate attribute, an XML version other than 1.0.
	return &StreamError{Condition: "not-well-formed", Text: err.Error()}
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
	c.lock()
	opened := c.opened
	c.unlock()
	if !opened {
		return ErrNotOpen
	}
	return c.write([]byte("</stream:stream>"), func() { c.closed = true })
}

// Fail sends a stream error and our closing tag, and closes the connection
// (RFC 6120 §4.9). A stream header goes first if none was sent yet. The
// error's Text is for logs and stays off the wire.
func (c *Conn) Fail(e *StreamError) error {
	// Cut short a write in progress to a peer that stopped reading.
	deadline := time.Now().Add(FailTimeout)
	c.failBy.CompareAndSwap(0, deadline.UnixNano())
	c.raw.SetWriteDeadline(deadline)
	var b bytes.Buffer
	c.lock()
	opened := c.opened
	c.unlock()
	if !opened {
		writeHeader(&b, Header{ID: NewID(), Version: "1.0"})
	}
	b.WriteString("<stream:error>")
	NewElement(NSStreamErrors, e.Condition).encode(&b, NSStream)
	b.WriteString("</stream:error></stream:stream>")
	err := c.writeBy(b.Bytes(), deadline, func() { c.closed = true })
	c.Close()
	return err
}

// write sends p in one Write, unless our closing tag was already sent.
// done runs under the lock after a successful write.
func (c *Conn) write(p []byte, done func()) error {
	return c.writeBy(p, time.Time{}, done)
}

// writeBy is write with a deadline of its own; the zero time means
// WriteTimeout from when the write can start.
func (c *Conn) writeBy(p []byte, deadline time.Time, done func()) error {
	c.lock()
	defer c.unlock()
	if c.closed {
		return net.ErrClosed
	}
	if deadline.IsZero() {
		deadline = time.Now().Add(WriteTimeout)
	}
	if by := c.failBy.Load(); by != 0 && by < deadline.UnixNano() {
		deadline = time.Unix(0, by)
	}
	c.nc.SetWriteDeadline(deadline)
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

// Error returns the condition and the text, if any.
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
// byte by byte without a buffer of its own. It marks the connection's
// errors, io.EOF aside, as connError: the decoder returns them as they
// are, beside errors of its own that are the peer's to answer for.
type limitReader struct {
	r *bufio.Reader
	n int
}

func (l *limitReader) ReadByte() (byte, error) {
	if l.n <= 0 {
		return 0, ErrTooLarge
	}
	b, err := l.r.ReadByte()
	if err != nil {
		return b, connErr(err)
	}
	l.n--
	return b, nil
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
	return n, connErr(err)
}

// connError is an error of the connection under the decoder.
type connError struct{ err error }

func (e connError) Error() string { return e.err.Error() }
func (e connError) Unwrap() error { return e.err }

func connErr(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return connError{err}
}
