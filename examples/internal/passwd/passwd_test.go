package passwd

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"hunter2\n", "hunter2", nil},
		{"with spaces  \r\nsecond line\n", "with spaces  ", nil},
		{"no newline", "no newline", nil},
		{"\n", "", ErrEmpty},
		{"", "", ErrEmpty},
	} {
		got, err := Read(strings.NewReader(tc.in))
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("Read(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestLinesKeepWhatAPipeDeliveredAtOnce(t *testing.T) {
	l := NewLines(strings.NewReader("hunter2\n 123456 \r\n\n"))
	if pw, err := l.Password(); pw != "hunter2" || err != nil {
		t.Fatalf("Password() = %q, %v", pw, err)
	}
	if code, err := l.Ask("code: "); code != "123456" || err != nil {
		t.Errorf("Ask() = %q, %v; want the second line, trimmed", code, err)
	}
	if _, err := l.Ask("code: "); err == nil {
		t.Error("Ask() took an empty line as a code")
	}
	if _, err := l.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next() at the end: %v, want io.EOF", err)
	}
}

func TestLinesPromptOnlyWhenAsked(t *testing.T) {
	var prompts strings.Builder
	l := NewLines(strings.NewReader("1\n2\n"))
	l.Ask("first: ")
	l.Prompts = &prompts
	l.Ask("second: ")
	if got := prompts.String(); got != "second: " {
		t.Errorf("prompts = %q", got)
	}
}

func TestLinesRefuseALineOver4KiB(t *testing.T) {
	l := NewLines(strings.NewReader(strings.Repeat("x", 5000) + "\n"))
	if _, err := l.Next(); !errors.Is(err, ErrTooLong) {
		t.Errorf("Next() = %v, want ErrTooLong", err)
	}
}

// rw is a terminal in a test: what the person types, and what they see.
type rw struct {
	io.Reader
	strings.Builder
}

func TestLinesAskOnTheTerminalOnceTheInputEnds(t *testing.T) {
	tty := &rw{Reader: strings.NewReader("654321\n")}
	l := NewLines(strings.NewReader("hunter2\n"))
	l.Terminal = func() (io.ReadWriter, error) { return tty, nil }
	l.Password()
	if code, err := l.Ask("code: "); code != "654321" || err != nil {
		t.Errorf("Ask() = %q, %v; want what was typed on the terminal", code, err)
	}
	if got := tty.String(); got != "code: " {
		t.Errorf("the terminal shows %q", got)
	}
}
