package passwd

import (
	"errors"
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
