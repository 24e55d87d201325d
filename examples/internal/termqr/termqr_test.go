package termqr

import (
	"slices"
	"strings"
	"testing"
)

const uri = "otpauth://totp/localhost:alice@localhost?algorithm=SHA1&digits=6" +
	"&issuer=localhost&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// read turns drawn lines back into rows of modules, true for dark.
func read(t *testing.T, drawn string) [][]bool {
	t.Helper()
	var rows [][]bool
	for line := range strings.Lines(drawn) {
		top, bottom := []bool{}, []bool{}
		for _, r := range strings.TrimSuffix(line, "\n") {
			lit, ok := map[rune][2]bool{
				'█': {true, true}, '▀': {true, false},
				'▄': {false, true}, ' ': {false, false},
			}[r]
			if !ok {
				t.Fatalf("unexpected %q in %q", r, line)
			}
			top, bottom = append(top, !lit[0]), append(bottom, !lit[1])
		}
		rows = append(rows, top, bottom)
	}
	return rows
}

func TestWriteDrawsEveryModule(t *testing.T) {
	var b strings.Builder
	if err := Write(&b, uri); err != nil {
		t.Fatal(err)
	}
	want, err := modules(uri)
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, b.String())
	// An odd number of rows leaves the last half line dark.
	if len(want)%2 == 1 {
		if slices.Contains(got[len(got)-1], false) {
			t.Error("the half line below the code is lit")
		}
		got = got[:len(got)-1]
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("drawn:\n%s\ndoes not hold the code's modules", b.String())
	}
}

func TestModulesHaveAQuietZoneAndAFinder(t *testing.T) {
	rows, err := modules(uri)
	if err != nil {
		t.Fatal(err)
	}
	n := len(rows)
	if n < 21+2*quiet || (n-2*quiet-17)%4 != 0 {
		t.Fatalf("%d rows is no QR code version with its margin", n)
	}
	for i := range n {
		for _, m := range []bool{rows[0][i], rows[i][0], rows[n-1][i], rows[i][n-1]} {
			if m {
				t.Fatal("a dark module in the quiet zone")
			}
		}
	}
	// The top-left finder: a dark ring of 7, a light ring, a dark 3x3.
	for y := range 7 {
		for x := range 7 {
			ring := max(abs(x-3), abs(y-3))
			if want := ring != 2; rows[quiet+y][quiet+x] != want {
				t.Fatalf("finder module (%d,%d) dark %v", x, y, !want)
			}
		}
	}
}

func abs(n int) int { return max(n, -n) }
