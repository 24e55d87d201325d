// Package passwd reads a password the way the example commands take it:
// the first line of standard input, so that it never appears in a command
// line, a process listing or a shell history.
package passwd

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// ErrEmpty reports that standard input held no password.
var ErrEmpty = errors.New("no password on standard input")

// Read returns the first line of r without its line ending. It reads no
// further than that line, up to 4 KiB.
func Read(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, 4096), 4096).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", ErrEmpty
	}
	return line, nil
}
