package passwd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxLine bounds one line of input.
const maxLine = 4096

// ErrTooLong reports a line over 4 KiB.
var ErrTooLong = errors.New("line too long on standard input")

// Lines reads an input line by line: the password, then what a command
// asks for after it, such as a one-time code. What it reads ahead of a
// line, as a pipe may deliver several at once, it keeps for the next one.
// It is not safe for concurrent use.
type Lines struct {
	r *bufio.Reader
	// Prompts, when not nil, receives each prompt before its line is
	// read: set it when the input is a terminal (see IsTerminal), and
	// leave it nil for a script, which reads no prompts.
	Prompts io.Writer
	// Terminal, when not nil, opens the terminal to ask on when the
	// input ends before an answer to Ask, as ssh asks on /dev/tty: a
	// command whose password comes through a pipe then asks the person
	// at the terminal for a code. A command sets it to OpenTerminal in
	// main, so that its tests never wait for a person.
	Terminal func() (io.ReadWriter, error)
}

// NewLines returns a Lines reading r.
func NewLines(r io.Reader) *Lines {
	return &Lines{r: bufio.NewReaderSize(r, maxLine)}
}

// Next returns the next line without its line ending. It returns io.EOF
// when the input ended before a line began, and ErrTooLong for a line
// over 4 KiB.
func (l *Lines) Next() (string, error) {
	line, err := l.r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", ErrTooLong
	case errors.Is(err, io.EOF) && len(line) == 0:
		return "", io.EOF
	case err != nil && !errors.Is(err, io.EOF):
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// Password returns the next line as a password: ErrEmpty when it is
// empty or missing.
func (l *Lines) Password() (string, error) {
	pw, err := l.Next()
	if errors.Is(err, io.EOF) || err == nil && pw == "" {
		return "", ErrEmpty
	}
	return pw, err
}

// Ask writes prompt to Prompts, when set, and returns the next line with
// the spaces around it trimmed: a code, which must not be empty. When the
// input has ended it asks on Terminal, if set, and reads from there on.
func (l *Lines) Ask(prompt string) (string, error) {
	if l.Prompts != nil {
		fmt.Fprint(l.Prompts, prompt)
	}
	s, err := l.Next()
	if errors.Is(err, io.EOF) && l.Terminal != nil {
		t, terr := l.Terminal()
		l.Terminal = nil
		if terr == nil {
			l.r, l.Prompts = bufio.NewReaderSize(t, maxLine), t
			fmt.Fprint(t, prompt)
			s, err = l.Next()
		}
	}
	if errors.Is(err, io.EOF) || err == nil && strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("no answer on standard input to %q", strings.TrimSpace(prompt))
	}
	return strings.TrimSpace(s), err
}

// OpenTerminal opens the process's controlling terminal, /dev/tty, for
// Lines.Terminal. The file stays open until the process ends.
func OpenTerminal() (io.ReadWriter, error) {
	return os.OpenFile("/dev/tty", os.O_RDWR, 0)
}

// IsTerminal reports whether r is a terminal, where a person answers
// prompts.
func IsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
