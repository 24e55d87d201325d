// Package passwd reads a password the way the example commands take it:
// the first line of standard input, so that it never appears in a command
// line, a process listing or a shell history. The lines after it answer
// what a command asks next, such as a one-time code (Lines).
package passwd

import (
	"errors"
	"io"
)

// ErrEmpty reports that standard input held no password.
var ErrEmpty = errors.New("no password on standard input")

// Read returns the first line of r without its line ending. It may read
// ahead of that line; a command that reads more after the password uses
// Lines.
func Read(r io.Reader) (string, error) {
	return NewLines(r).Password()
}
