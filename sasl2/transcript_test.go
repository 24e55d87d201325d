package sasl2

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xmppauth/xmppauth/internal/xmltest"
)

// A transcript is one exchange as published: lines starting "C:" or "S:"
// open an element sent by the client or the server, which may run over
// several lines; lines starting "#" are comments.
type line struct {
	client bool
	xml    string
	el     any
}

func readTranscript(t *testing.T, path string) []line {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []line
	for _, l := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "C: "), strings.HasPrefix(l, "S: "):
			lines = append(lines, line{client: l[0] == 'C', xml: l[3:]})
		case len(lines) > 0:
			lines[len(lines)-1].xml += "\n" + l
		}
	}
	for i := range lines {
		lines[i].el = decodeString(t, lines[i].xml)
	}
	return lines
}

func decodeString(t testing.TB, s string) any {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("decoding %q: %v", s, err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			el, err := Decode(d, start)
			if err != nil {
				t.Fatalf("decoding %q: %v", s, err)
			}
			return el
		}
	}
}

// sameElement compares two typed elements by meaning, through their
// canonical encodings, so that child order inside <success> and
// whitespace inside base64 do not matter.
func sameElement(t *testing.T, got, want any) {
	t.Helper()
	if ok, diff := xmltest.Equal(canonical(t, got), canonical(t, want)); !ok {
		t.Errorf("element differs:\n%s", diff)
	}
}

func canonical(t *testing.T, v any) string {
	t.Helper()
	if s, ok := v.(*Success); ok {
		c := *s
		c.Extensions = slices.Clone(s.Extensions)
		slices.SortFunc(c.Extensions, func(a, b Element) int {
			return strings.Compare(a.Name.Space+a.Name.Local, b.Name.Space+b.Name.Local)
		})
		v = &c
	}
	out, err := xml.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %T: %v", v, err)
	}
	return string(out)
}

// script holds what a transcript says each side sends, for the scripted
// mechanism, task and extensions below.
type script struct {
	features   *Authentication
	auth       *Authenticate
	challenges [][]byte
	responses  [][]byte
	additional []byte
	tasks      []string
	next       *Next
	serverTask [][]Element
	clientTask [][]Element
	success    *Success
}

func scriptOf(lines []line) *script {
	s := &script{}
	for _, l := range lines {
		switch v := l.el.(type) {
		case *Authentication:
			s.features = v
		case *Authenticate:
			s.auth = v
		case *Challenge:
			s.challenges = append(s.challenges, v.Data)
		case *Response:
			s.responses = append(s.responses, v.Data)
		case *Continue:
			s.additional = v.AdditionalData
			s.tasks = v.Tasks
		case *Next:
			s.next = v
		case *TaskData:
			if l.client {
				s.clientTask = append(s.clientTask, v.Payload)
			} else {
				s.serverTask = append(s.serverTask, v.Payload)
			}
		case *Success:
			s.success = v
			if s.tasks == nil {
				s.additional = v.AdditionalData
			}
		}
	}
	return s
}

// user is the localpart of the transcript's authorization identifier.
func (s *script) user() string {
	user, _, _ := strings.Cut(s.success.AuthorizationIdentifier, "@")
	return user
}

// conn is a connection to the transcript's domain.
func (s *script) conn() *Conn {
	_, rest, _ := strings.Cut(s.success.AuthorizationIdentifier, "@")
	domain, _, _ := strings.Cut(rest, "/")
	return &Conn{Domain: domain, TLS: &tls.ConnectionState{}}
}

type scriptMech struct {
	s    *script
	name string
	got  [][]byte
}

func (m *scriptMech) Name() string         { return m.name }
func (m *scriptMech) Available(*Conn) bool { return true }
func (m *scriptMech) Start(context.Context, *Conn, *Authenticate) (Exchange, error) {
	return m, nil
}

func (m *scriptMech) Next(_ context.Context, data []byte) (Step, error) {
	m.got = append(m.got, data)
	if i := len(m.got) - 1; i < len(m.s.challenges) {
		return Step{Challenge: m.s.challenges[i]}, nil
	}
	return Step{Done: true, User: m.s.user(), AdditionalData: m.s.additional}, nil
}

type scriptTask struct {
	s    *script
	name string
	n    int
}

func (k *scriptTask) Name() string { return k.name }
func (k *scriptTask) Start(_ context.Context, _ *Result, _ []Element) (TaskStep, error) {
	return k.Next(context.Background(), nil)
}

func (k *scriptTask) Next(context.Context, []Element) (TaskStep, error) {
	if k.n < len(k.s.serverTask) {
		k.n++
		return TaskStep{Data: k.s.serverTask[k.n-1]}, nil
	}
	ns := k.s.next.Payload[0].Name.Space
	var result []Element
	for _, e := range k.s.success.Extensions {
		if e.Name.Space == ns {
			result = append(result, e)
		}
	}
	return TaskStep{Done: true, Result: result}, nil
}

// scriptExt is an inline feature that binds the resource its request names
// in the text of its first child, as the transcript's "megabind" does.
type scriptExt struct{ feature Element }

func (x *scriptExt) Namespace() string               { return x.feature.Name.Space }
func (x *scriptExt) Advertise(*Conn) (Element, bool) { return x.feature, true }
func (x *scriptExt) Request(_ context.Context, _ *Conn, _ *Authenticate, req []Element) (Request, error) {
	if len(req) == 0 || len(req[0].Children) == 0 {
		return nil, nil
	}
	return bindTo(req[0].Children[0].Text), nil
}

type bindTo string

func (b bindTo) Success(_ context.Context, r *Result) error {
	r.JID += "/" + strings.TrimSpace(string(b))
	return nil
}

type scriptClientMech struct {
	s    *script
	n    int
	seen []byte
}

func (m *scriptClientMech) Name() string { return m.s.auth.Mechanism }
func (m *scriptClientMech) Start(context.Context, *Conn) (ClientExchange, error) {
	return m, nil
}
func (m *scriptClientMech) Initial() ([]byte, error) { return m.s.auth.InitialResponse, nil }
func (m *scriptClientMech) Next([]byte) ([]byte, error) {
	m.n++
	return m.s.responses[m.n-1], nil
}
func (m *scriptClientMech) Verify(additional []byte) error {
	m.seen = additional
	return nil
}

type scriptClientTask struct {
	s *script
	n int
}

func (k *scriptClientTask) Name() string { return k.s.next.Task }
func (k *scriptClientTask) Start(context.Context) ([]Element, error) {
	return k.s.next.Payload, nil
}
func (k *scriptClientTask) Next(context.Context, []Element) ([]Element, error) {
	k.n++
	return k.s.clientTask[k.n-1], nil
}

type scriptClientExt struct{ req Element }

func (x scriptClientExt) Request(*Conn, []Element) (Element, bool) { return x.req, true }
func (x scriptClientExt) Success(*Success) error                   { return nil }

func TestTranscripts(t *testing.T) {
	paths, err := filepath.Glob("../testdata/sasl2/transcripts/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, path := range paths {
		lines := readTranscript(t, path)
		name := filepath.Base(path)
		t.Run("the server answers "+name+" as published", func(t *testing.T) {
			runServer(t, lines)
		})
		t.Run("the client sends "+name+" as published", func(t *testing.T) {
			runClient(t, lines)
		})
	}
}

// prelude makes a transcript that starts at <next> begin at the step
// before it: a mechanism that succeeds at once and a <continue>.
func prelude(t *testing.T, lines []line, s *script) []line {
	if s.features != nil {
		return lines
	}
	s.features = &Authentication{Mechanisms: []string{"SCRIPT"}}
	s.auth = &Authenticate{Mechanism: "SCRIPT", InitialResponse: []byte{}}
	s.tasks = []string{s.next.Task}
	head := []line{
		{el: s.features},
		{client: true, el: s.auth},
		{el: &Continue{Tasks: s.tasks}},
	}
	return append(head, lines...)
}

func runServer(t *testing.T, lines []line) {
	s := scriptOf(lines)
	lines = prelude(t, lines, s)
	mech := &scriptMech{s: s, name: s.features.Mechanisms[0]}
	cfg := &Config{Mechanisms: []Mechanism{mech}}
	for _, f := range s.features.Inline {
		cfg.Extensions = append(cfg.Extensions, &scriptExt{feature: f})
	}
	if s.tasks != nil {
		cfg.Policy = func(context.Context, *Result) ([]Alternatives, error) {
			var alts Alternatives
			for _, name := range s.tasks {
				alts = append(alts, &scriptTask{s: s, name: name})
			}
			return []Alternatives{alts}, nil
		}
	}
	srv := NewServer(cfg, s.conn())
	features, _ := srv.Features()
	sameElement(t, features, s.features)

	for i := 1; i < len(lines); i++ {
		if !lines[i].client {
			continue
		}
		out, err := srv.Receive(context.Background(), lines[i].el)
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if i+1 >= len(lines) || lines[i+1].client {
			t.Fatalf("line %d: server sent %T where the transcript has none", i, out)
		}
		sameElement(t, out, lines[i+1].el)
	}
	if !srv.Done() {
		t.Error("server not done at the end of the transcript")
	}
	want := append([][]byte{s.auth.InitialResponse}, s.responses...)
	if len(s.challenges) == 0 && s.features.Mechanisms[0] == "SCRIPT" {
		want = want[:1]
	}
	if !slices.EqualFunc(mech.got, want, bytes.Equal) {
		t.Errorf("mechanism received %q, want %q", mech.got, want)
	}
}

func runClient(t *testing.T, lines []line) {
	s := scriptOf(lines)
	lines = prelude(t, lines, s)
	mech := &scriptClientMech{s: s}
	cfg := &ClientConfig{
		Mechanisms: []ClientMechanism{mech},
		UserAgent:  s.auth.UserAgent,
	}
	for _, e := range s.auth.Extensions {
		cfg.Extensions = append(cfg.Extensions, scriptClientExt{req: e})
	}
	if s.next != nil {
		cfg.Tasks = []ClientTask{&scriptClientTask{s: s}}
	}
	c := NewClient(cfg, s.conn())
	a, err := c.Start(context.Background(), s.features, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameElement(t, a, lines[1].el)

	for i := 2; i < len(lines); i++ {
		if lines[i].client {
			continue
		}
		out, err := c.Receive(context.Background(), lines[i].el)
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if i+1 < len(lines) {
			sameElement(t, out, lines[i+1].el)
		} else if out != nil {
			t.Errorf("client sent %T after the last line", out)
		}
	}
	if !c.Done() || c.JID() != s.success.AuthorizationIdentifier {
		t.Errorf("client done=%v jid=%q, want %q", c.Done(), c.JID(),
			s.success.AuthorizationIdentifier)
	}
	if !bytes.Equal(mech.seen, s.additional) {
		t.Errorf("mechanism verified %q, want %q", mech.seen, s.additional)
	}
}
