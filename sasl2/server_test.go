package sasl2

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// testMech is a PLAIN-like mechanism for exercising the state machine:
// "\x00user\x00password" with one account, user/pencil. The user "broken"
// makes its store fail.
type testMech struct{ name string }

func (m testMech) Name() string {
	if m.name == "" {
		return "TEST"
	}
	return m.name
}
func (testMech) Available(*Conn) bool { return true }
func (testMech) Start(context.Context, *Conn, *Authenticate) (Exchange, error) {
	return &testExchange{}, nil
}

type testExchange struct{ challenged bool }

func (x *testExchange) Next(_ context.Context, data []byte) (Step, error) {
	if data == nil && !x.challenged {
		x.challenged = true
		return Step{Challenge: []byte{}}, nil
	}
	parts := bytes.Split(data, []byte{0})
	if len(parts) != 3 {
		return Step{}, Fail(MalformedRequest, "")
	}
	user, pass := string(parts[1]), string(parts[2])
	switch {
	case user == "broken":
		return Step{}, errors.New("store: connection refused")
	case user != "user" || pass != "pencil":
		return Step{}, Fail(NotAuthorized, "")
	}
	return Step{Done: true, User: user, Authzid: string(parts[0]), AdditionalData: []byte("ok")}, nil
}

// testTask passes when the client sends <code>1234</code>, in <next> or
// in a later <task-data> after asking with <ask/>.
type testTask struct{ name string }

const testNS = "urn:example:task"

func (k testTask) Name() string { return k.name }
func (k testTask) Start(ctx context.Context, _ *Result, p []Element) (TaskStep, error) {
	return k.Next(ctx, p)
}
func (k testTask) Next(_ context.Context, p []Element) (TaskStep, error) {
	if len(p) == 1 && p[0].Name.Local == "ask" {
		return TaskStep{Data: []Element{{Name: xml.Name{Space: testNS, Local: "prompt"}}}}, nil
	}
	if len(p) == 1 && p[0].Name.Local == "code" && p[0].Text == "1234" {
		return TaskStep{Done: true, Result: []Element{{Name: xml.Name{Space: testNS, Local: "passed"}, Text: k.name}}}, nil
	}
	return TaskStep{}, Fail(NotAuthorized, "")
}

// testExt records whether its request reached success.
type testExt struct{ processed *int }

func (testExt) Namespace() string { return "urn:example:ext" }
func (testExt) Advertise(*Conn) (Element, bool) {
	return Element{Name: xml.Name{Space: "urn:example:ext", Local: "ext"}}, true
}
func (x testExt) Request(_ context.Context, _ *Conn, _ *Authenticate, req []Element) (Request, error) {
	if len(req) == 0 {
		return nil, nil
	}
	if req[0].Attribute("veto") != "" {
		return nil, Fail(MalformedRequest, "")
	}
	return x, nil
}
func (x testExt) Success(_ context.Context, r *Result) error {
	*x.processed++
	r.JID += "/res"
	return nil
}

const (
	goodPlain = "AHVzZXIAcGVuY2ls"                         // \0user\0pencil
	badPlain  = "AHVzZXIAd3Jvbmc="                         // \0user\0wrong
	broken    = "AGJyb2tlbgBwZW5jaWw="                     // \0broken\0pencil
	otherZ    = "b3RoZXJAZXhhbXBsZS5vcmcAdXNlcgBwZW5jaWw=" // other@example.org\0user\0pencil
)

type harness struct {
	t         *testing.T
	srv       *Server
	processed int
}

func newHarness(t *testing.T, policy Policy) *harness {
	h := &harness{t: t}
	cfg := &Config{
		Mechanisms: []Mechanism{testMech{}, testMech{name: "HIDDEN"}},
		Extensions: []Extension{testExt{processed: &h.processed}},
		Policy:     policy,
	}
	conn := &Conn{Domain: "example.org", TLS: &tls.ConnectionState{}}
	h.srv = NewServer(cfg, conn)
	if a, _ := h.srv.Features(); a == nil {
		t.Fatal("no features")
	}
	// HIDDEN is implemented but not advertised on this stream.
	conn.Advertised = []string{"TEST"}
	return h
}

// send decodes s, gives it to the server and returns the reply.
func (h *harness) send(s string) (any, error) {
	h.t.Helper()
	return h.srv.Receive(context.Background(), decodeString(h.t, s))
}

func (h *harness) wantFailure(s string, c Condition) {
	h.t.Helper()
	out, err := h.send(s)
	if err != nil {
		h.t.Fatalf("got stream error %v, want failure %s", err, c)
	}
	f, ok := out.(*Failure)
	if !ok || f.Condition != c {
		h.t.Fatalf("got %#v, want failure %s", out, c)
	}
}

func (h *harness) wantStreamError(s string) {
	h.t.Helper()
	out, err := h.send(s)
	var se *StreamError
	if !errors.As(err, &se) || out != nil {
		h.t.Fatalf("got %#v, %v; want a stream error", out, err)
	}
}

func (h *harness) wantSuccess(s string) *Success {
	h.t.Helper()
	out, err := h.send(s)
	if err != nil {
		h.t.Fatal(err)
	}
	sc, ok := out.(*Success)
	if !ok {
		h.t.Fatalf("got %#v, want success", out)
	}
	return sc
}

func auth(mech, ir string, extra ...string) string {
	s := "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='" + mech + "'>"
	if ir != "-" {
		s += "<initial-response>" + ir + "</initial-response>"
	}
	return s + strings.Join(extra, "") + "</authenticate>"
}

const extReq = "<ext xmlns='urn:example:ext'/>"

// BC-01: traffic that the current state does not allow.
func TestOutOfOrder(t *testing.T) {
	t.Run("a second authenticate after success is a stream error", func(t *testing.T) {
		h := newHarness(t, nil)
		h.wantSuccess(auth("TEST", goodPlain, extReq))
		h.wantStreamError(auth("TEST", goodPlain, extReq))
		if h.processed != 1 {
			t.Errorf("inline request processed %d times", h.processed)
		}
	})
	t.Run("a stanza instead of a response is a stream error", func(t *testing.T) {
		h := newHarness(t, nil)
		if out, _ := h.send(auth("TEST", "-")); out == nil {
			t.Fatal("no challenge")
		}
		h.wantStreamError("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
	})
	t.Run("next before any continue is a stream error", func(t *testing.T) {
		h := newHarness(t, nil)
		h.wantStreamError("<next xmlns='urn:xmpp:sasl:2' task='TOTP-EXAMPLE'/>")
	})
	t.Run("an authenticate after continue is a stream error", func(t *testing.T) {
		h := newHarness(t, oneTask)
		if out, _ := h.send(auth("TEST", goodPlain)); !isContinue(out) {
			t.Fatalf("got %#v, want continue", out)
		}
		h.wantStreamError(auth("TEST", goodPlain))
	})
	t.Run("a response before authenticate is a stream error", func(t *testing.T) {
		h := newHarness(t, nil)
		h.wantStreamError("<response xmlns='urn:xmpp:sasl:2'>AA==</response>")
	})
	t.Run("task data outside a task is a stream error", func(t *testing.T) {
		h := newHarness(t, oneTask)
		h.send(auth("TEST", goodPlain))
		h.wantStreamError("<task-data xmlns='urn:xmpp:sasl:2'/>")
	})
}

func isContinue(v any) bool { _, ok := v.(*Continue); return ok }

// BC-02: mechanism names that were not advertised on this stream.
func TestMechanismNotAdvertised(t *testing.T) {
	for _, tt := range []struct{ name, xml string }{
		{"an unknown mechanism", auth("DIGEST-MD5", goodPlain, extReq)},
		{"a mechanism in lower case", auth("test", goodPlain, extReq)},
		{"no mechanism attribute", "<authenticate xmlns='urn:xmpp:sasl:2'><initial-response>" + goodPlain + "</initial-response>" + extReq + "</authenticate>"},
		{"a mechanism implemented but not advertised here", auth("HIDDEN", goodPlain, extReq)},
	} {
		t.Run(tt.name+" fails with invalid-mechanism and the stream goes on", func(t *testing.T) {
			h := newHarness(t, nil)
			h.wantFailure(tt.xml, InvalidMechanism)
			if h.processed != 0 {
				t.Error("inline request of a failed authentication was processed")
			}
			h.wantSuccess(auth("TEST", goodPlain))
		})
	}
}

// BC-03, server side.
func TestInitialResponseEncoding(t *testing.T) {
	t.Run("no initial response is answered with an empty challenge", func(t *testing.T) {
		h := newHarness(t, nil)
		out, err := h.send(auth("TEST", "-"))
		c, ok := out.(*Challenge)
		if err != nil || !ok || len(c.Data) != 0 {
			t.Fatalf("got %#v, %v", out, err)
		}
		if enc := canonical(t, c); !strings.Contains(enc, "<challenge") {
			t.Errorf("encoded %s", enc)
		}
		if out, err := h.send("<response xmlns='urn:xmpp:sasl:2'>" + goodPlain + "</response>"); err != nil || !isSuccess(out) {
			t.Fatalf("got %#v, %v", out, err)
		}
	})
	t.Run("an empty initial response is data, not absence", func(t *testing.T) {
		h := newHarness(t, nil)
		h.wantFailure(auth("TEST", ""), MalformedRequest)
	})
	t.Run("= is incorrect encoding", func(t *testing.T) {
		h := newHarness(t, nil)
		h.wantFailure(auth("TEST", "="), IncorrectEncoding)
	})
	for _, ir := range []string{"YWJ=", "AHVzZXIAcGVuY2l", "AHVz*ZXIAcGVuY2ls"} {
		t.Run(ir+" is incorrect encoding", func(t *testing.T) {
			h := newHarness(t, nil)
			h.wantFailure(auth("TEST", ir), IncorrectEncoding)
		})
	}
	for _, ir := range []string{"AHVz&#10;ZXIAcGVuY2ls", "AHVz ZXIAcGVuY2ls", "AHVzZXIAcGVuY2ls&#10;", "AHVz&#9;ZXIAcGVuY2ls"} {
		t.Run("whitespace in "+ir+" is removed", func(t *testing.T) {
			h := newHarness(t, nil)
			h.wantSuccess(auth("TEST", ir))
		})
	}
	t.Run("a bad response is incorrect encoding", func(t *testing.T) {
		h := newHarness(t, nil)
		h.send(auth("TEST", "-"))
		h.wantFailure("<response xmlns='urn:xmpp:sasl:2'>=</response>", IncorrectEncoding)
	})
}

func isSuccess(v any) bool { _, ok := v.(*Success); return ok }

func TestFailures(t *testing.T) {
	t.Run("a wrong password fails and a retry on the same stream succeeds", func(t *testing.T) {
		h := newHarness(t, nil)
		h.wantFailure(auth("TEST", badPlain, extReq), NotAuthorized)
		if h.processed != 0 {
			t.Error("inline request of a failed authentication was processed")
		}
		s := h.wantSuccess(auth("TEST", goodPlain, extReq))
		if s.AuthorizationIdentifier != "user@example.org/res" || h.processed != 1 {
			t.Errorf("got %q, processed %d", s.AuthorizationIdentifier, h.processed)
		}
		if string(s.AdditionalData) != "ok" {
			t.Errorf("additional data %q", s.AdditionalData)
		}
	})
	t.Run("a storage error fails closed with temporary-auth-failure and no text", func(t *testing.T) {
		h := newHarness(t, nil)
		out, _ := h.send(auth("TEST", broken))
		if f, ok := out.(*Failure); !ok || f.Condition != TemporaryAuthFailure || f.Text != "" {
			t.Errorf("got %#v", out)
		}
	})
	t.Run("an authzid for someone else is invalid-authzid", func(t *testing.T) {
		h := newHarness(t, nil)
		h.wantFailure(auth("TEST", otherZ, extReq), InvalidAuthzid)
		if h.processed != 0 {
			t.Error("inline request processed")
		}
	})
	t.Run("an authzid that differs from the stream's from is invalid-authzid", func(t *testing.T) {
		h := newHarness(t, nil)
		h.srv.conn.From = "other@example.org"
		// \0user\0pencil with the authzid user@example.org
		h.wantFailure(auth("TEST", "dXNlckBleGFtcGxlLm9yZwB1c2VyAHBlbmNpbA=="), InvalidAuthzid)
		h.srv.conn.From = "user@example.org"
		h.wantSuccess(auth("TEST", "dXNlckBleGFtcGxlLm9yZwB1c2VyAHBlbmNpbA=="))
	})
	t.Run("an extension veto fails the attempt", func(t *testing.T) {
		h := newHarness(t, nil)
		h.wantFailure(auth("TEST", goodPlain, "<ext xmlns='urn:example:ext' veto='1'/>"), MalformedRequest)
	})
	t.Run("abort during the mechanism is aborted", func(t *testing.T) {
		h := newHarness(t, nil)
		h.send(auth("TEST", "-"))
		h.wantFailure("<abort xmlns='urn:xmpp:sasl:2'/>", Aborted)
		h.wantSuccess(auth("TEST", goodPlain))
	})
	t.Run("a policy error fails closed", func(t *testing.T) {
		h := newHarness(t, func(context.Context, *Result) ([]Alternatives, error) {
			return nil, errors.New("policy store down")
		})
		h.wantFailure(auth("TEST", goodPlain), TemporaryAuthFailure)
	})
	t.Run("a requirement with no alternatives fails closed", func(t *testing.T) {
		h := newHarness(t, func(context.Context, *Result) ([]Alternatives, error) {
			return []Alternatives{{}}, nil
		})
		h.wantFailure(auth("TEST", goodPlain), TemporaryAuthFailure)
	})
}

func oneTask(context.Context, *Result) ([]Alternatives, error) {
	return []Alternatives{{testTask{"TOTP-EXAMPLE"}, testTask{"HOTP-EXAMPLE"}}}, nil
}

func twoTasks(context.Context, *Result) ([]Alternatives, error) {
	return []Alternatives{{testTask{"FIRST"}}, {testTask{"SECOND"}}}, nil
}

const (
	nextAsk  = "<next xmlns='urn:xmpp:sasl:2' task='%s'><ask xmlns='urn:example:task'/></next>"
	nextCode = "<next xmlns='urn:xmpp:sasl:2' task='%s'><code xmlns='urn:example:task'>1234</code></next>"
	dataCode = "<task-data xmlns='urn:xmpp:sasl:2'><code xmlns='urn:example:task'>1234</code></task-data>"
	dataBad  = "<task-data xmlns='urn:xmpp:sasl:2'><code xmlns='urn:example:task'>0000</code></task-data>"
)

func task(format, name string) string { return strings.Replace(format, "%s", name, 1) }

func TestTasks(t *testing.T) {
	t.Run("continue offers the alternatives with the mechanism's data", func(t *testing.T) {
		h := newHarness(t, oneTask)
		out, _ := h.send(auth("TEST", goodPlain, extReq))
		c, ok := out.(*Continue)
		if !ok || strings.Join(c.Tasks, ",") != "TOTP-EXAMPLE,HOTP-EXAMPLE" || string(c.AdditionalData) != "ok" {
			t.Fatalf("got %#v", out)
		}
		if h.processed != 0 {
			t.Error("inline request processed before the task passed")
		}
		out, _ = h.send(task(nextAsk, "HOTP-EXAMPLE"))
		if _, ok := out.(*TaskData); !ok {
			t.Fatalf("got %#v, want task data", out)
		}
		s := h.wantSuccess(dataCode)
		if s.AdditionalData != nil {
			t.Error("success repeats the mechanism's data already sent in continue")
		}
		if h.processed != 1 || s.AuthorizationIdentifier != "user@example.org/res" {
			t.Errorf("processed %d, jid %q", h.processed, s.AuthorizationIdentifier)
		}
		if len(s.Extensions) == 0 || s.Extensions[0].Text != "HOTP-EXAMPLE" {
			t.Errorf("task result missing: %+v", s.Extensions)
		}
		if got := h.srv.Result().Tasks; len(got) != 1 || got[0] != "HOTP-EXAMPLE" {
			t.Errorf("passed tasks %q", got)
		}
	})
	t.Run("two requirements are offered one after the other", func(t *testing.T) {
		h := newHarness(t, twoTasks)
		h.send(auth("TEST", goodPlain))
		out, _ := h.send(task(nextCode, "FIRST"))
		c, ok := out.(*Continue)
		if !ok || len(c.Tasks) != 1 || c.Tasks[0] != "SECOND" || c.AdditionalData != nil {
			t.Fatalf("got %#v, want continue with SECOND", out)
		}
		h.wantSuccess(task(nextCode, "SECOND"))
	})
	t.Run("a failed task fails the whole authentication", func(t *testing.T) {
		h := newHarness(t, twoTasks)
		h.send(auth("TEST", goodPlain, extReq))
		h.send(task(nextAsk, "FIRST"))
		h.wantFailure(dataBad, NotAuthorized)
		if h.processed != 0 || h.srv.Done() {
			t.Error("failed authentication processed inline requests or is done")
		}
		// The stream may start again from the beginning.
		h.send(auth("TEST", goodPlain))
		h.send(task(nextCode, "FIRST"))
		h.wantSuccess(task(nextCode, "SECOND"))
	})
	t.Run("a task that was not offered fails", func(t *testing.T) {
		h := newHarness(t, twoTasks)
		h.send(auth("TEST", goodPlain))
		h.wantFailure(task(nextCode, "SECOND"), MalformedRequest)
	})
	t.Run("abort during a task fails with aborted", func(t *testing.T) {
		h := newHarness(t, oneTask)
		h.send(auth("TEST", goodPlain))
		h.send(task(nextAsk, "TOTP-EXAMPLE"))
		h.wantFailure("<abort xmlns='urn:xmpp:sasl:2'/>", Aborted)
	})
	t.Run("abort while choosing a task fails with aborted", func(t *testing.T) {
		h := newHarness(t, oneTask)
		h.send(auth("TEST", goodPlain))
		h.wantFailure("<abort xmlns='urn:xmpp:sasl:2'/>", Aborted)
	})
}

// tokenMech succeeds at once and forbids tasks, as a FAST token does.
type tokenMech struct{}

func (tokenMech) Name() string         { return "TOKEN" }
func (tokenMech) Available(*Conn) bool { return true }
func (tokenMech) Start(context.Context, *Conn, *Authenticate) (Exchange, error) {
	return tokenMech{}, nil
}
func (tokenMech) Next(context.Context, []byte) (Step, error) {
	return Step{Done: true, User: "user", Noninteractive: true}, nil
}

func TestNoninteractiveMechanismGetsNoTasks(t *testing.T) {
	srv := NewServer(&Config{Mechanisms: []Mechanism{tokenMech{}}, Policy: oneTask},
		&Conn{Domain: "example.org", TLS: &tls.ConnectionState{}})
	srv.Features()
	out, err := srv.Receive(context.Background(), &Authenticate{Mechanism: "TOKEN"})
	if f, ok := out.(*Failure); err != nil || !ok || f.Condition != CredentialsExpired {
		t.Fatalf("got %#v, %v; want credentials-expired", out, err)
	}

	// Without tasks to ask, the same login succeeds.
	srv = NewServer(&Config{Mechanisms: []Mechanism{tokenMech{}}},
		&Conn{Domain: "example.org", TLS: &tls.ConnectionState{}})
	srv.Features()
	if out, _ := srv.Receive(context.Background(), &Authenticate{Mechanism: "TOKEN"}); !isSuccess(out) {
		t.Errorf("got %#v, want success", out)
	}
}

func TestAudit(t *testing.T) {
	var events []Event
	cfg := &Config{
		Mechanisms: []Mechanism{testMech{}},
		Policy:     oneTask,
		Audit:      func(e Event) { events = append(events, e) },
	}
	srv := NewServer(cfg, &Conn{Domain: "example.org", TLS: &tls.ConnectionState{}})
	srv.Features()
	ctx := context.Background()
	srv.Receive(ctx, decodeString(t, auth("TEST", badPlain)))
	srv.Receive(ctx, decodeString(t, auth("TEST", goodPlain)))
	srv.Receive(ctx, decodeString(t, task(nextCode, "TOTP-EXAMPLE")))
	if events[0].Err == nil {
		t.Error("failure event without its cause")
	}
	events[0].Err = nil
	want := []Event{
		{Kind: EventFailure, Mechanism: "TEST", Condition: NotAuthorized},
		{Kind: EventTaskPassed, User: "user", Mechanism: "TEST", Task: "TOTP-EXAMPLE"},
		{Kind: EventSuccess, User: "user", Mechanism: "TEST"},
	}
	if len(events) != len(want) {
		t.Fatalf("events %+v", events)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, events[i], want[i])
		}
	}
}

func TestNoFeaturesWithoutTLSOrMechanisms(t *testing.T) {
	srv := NewServer(&Config{Mechanisms: []Mechanism{testMech{}}}, &Conn{Domain: "example.org"})
	if a, cb := srv.Features(); a != nil || cb != nil {
		t.Error("SASL2 offered without TLS")
	}
	srv = NewServer(&Config{}, &Conn{Domain: "example.org", TLS: &tls.ConnectionState{}})
	if a, _ := srv.Features(); a != nil {
		t.Error("SASL2 offered with no mechanism")
	}
}

func TestChannelBindingFeature(t *testing.T) {
	conn := &Conn{
		Domain: "example.org", TLS: &tls.ConnectionState{},
		Bindings: []ChannelBinding{{Type: TLSExporter}, {Type: TLSServerEndPoint}},
	}
	srv := NewServer(&Config{Mechanisms: []Mechanism{testMech{name: "X-PLUS"}, testMech{}}}, conn)
	_, cb := srv.Features()
	if cb == nil || strings.Join(cb.Types, " ") != "tls-exporter tls-server-end-point" {
		t.Fatalf("got %+v", cb)
	}
	if strings.Join(conn.AdvertisedBindings, " ") != "tls-exporter tls-server-end-point" {
		t.Errorf("advertised bindings not recorded: %q", conn.AdvertisedBindings)
	}
	srv = NewServer(&Config{Mechanisms: []Mechanism{testMech{}}}, conn)
	if _, cb := srv.Features(); cb != nil {
		t.Error("channel-binding types advertised without a -PLUS mechanism")
	}
}

// finishExt is an extension whose request logs its Success and Finish
// calls; failing makes its Success fail, and plain leaves Finish out.
type finishExt struct {
	name           string
	log            *[]string
	failing, plain bool
}

func (x finishExt) Namespace() string { return "urn:example:" + x.name }
func (finishExt) Advertise(*Conn) (Element, bool) {
	return Element{}, false
}
func (x finishExt) Request(context.Context, *Conn, *Authenticate, []Element) (Request, error) {
	if x.plain {
		return plainRequest{x}, nil
	}
	return finishRequest{x}, nil
}

type plainRequest struct{ x finishExt }

func (q plainRequest) Success(context.Context, *Result) error {
	*q.x.log = append(*q.x.log, q.x.name+" success")
	return nil
}

type finishRequest struct{ x finishExt }

func (q finishRequest) Success(context.Context, *Result) error {
	*q.x.log = append(*q.x.log, q.x.name+" success")
	if q.x.failing {
		return errors.New("store: disk full")
	}
	return nil
}

func (q finishRequest) Finish(_ context.Context, ok bool) {
	*q.x.log = append(*q.x.log, fmt.Sprintf("%s finish %t", q.x.name, ok))
}

func TestFinisher(t *testing.T) {
	run := func(t *testing.T, ir string, exts ...finishExt) (any, []string) {
		t.Helper()
		var log []string
		cfg := &Config{Mechanisms: []Mechanism{testMech{}}}
		for _, x := range exts {
			x.log = &log
			cfg.Extensions = append(cfg.Extensions, x)
		}
		srv := NewServer(cfg, &Conn{Domain: "example.org", TLS: &tls.ConnectionState{}})
		srv.Features()
		out, err := srv.Receive(context.Background(), decodeString(t, auth("TEST", ir)))
		if err != nil {
			t.Fatal(err)
		}
		return out, log
	}

	t.Run("every request is finished with true, in order, when success is final", func(t *testing.T) {
		out, log := run(t, goodPlain, finishExt{name: "a"},
			finishExt{name: "b", plain: true}, finishExt{name: "c"})
		want := []string{"a success", "b success", "c success",
			"a finish true", "c finish true"}
		if !isSuccess(out) || !slices.Equal(log, want) {
			t.Errorf("got %#v, log %q", out, log)
		}
	})
	t.Run("a failing success finishes those before it with false, in reverse", func(t *testing.T) {
		out, log := run(t, goodPlain, finishExt{name: "a"},
			finishExt{name: "b"}, finishExt{name: "c", failing: true},
			finishExt{name: "d"})
		want := []string{"a success", "b success", "c success",
			"b finish false", "a finish false"}
		f, ok := out.(*Failure)
		if !ok || f.Condition != TemporaryAuthFailure || !slices.Equal(log, want) {
			t.Errorf("got %#v, log %q", out, log)
		}
	})
	t.Run("a request whose success never ran is not finished", func(t *testing.T) {
		out, log := run(t, badPlain, finishExt{name: "a"})
		if isSuccess(out) || len(log) != 0 {
			t.Errorf("got %#v, log %q", out, log)
		}
	})
}
