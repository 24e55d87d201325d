// Package termqr draws QR codes in a terminal with Unicode half blocks:
// one character cell holds two modules, one above the other, so that a
// code comes out about square in a terminal font and needs no image
// viewer. The example commands draw TOTP enrolment URIs with it.
package termqr

import (
	"fmt"
	"image/color"
	"io"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// quiet is the light margin around the code, in modules. ISO/IEC 18004
// asks for four; phone scanners read two, which saves lines.
const quiet = 2

// modules returns the code of text as rows of modules, true for dark,
// with the quiet zone around it.
func modules(text string) ([][]bool, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("termqr: %w", err)
	}
	b := code.Bounds()
	n := b.Dx() + 2*quiet
	rows := make([][]bool, n)
	for y := range rows {
		rows[y] = make([]bool, n)
		for x := range rows[y] {
			mx, my := b.Min.X+x-quiet, b.Min.Y+y-quiet
			if mx < b.Min.X || mx >= b.Max.X || my < b.Min.Y || my >= b.Max.Y {
				continue
			}
			rows[y][x] = color.GrayModel.Convert(code.At(mx, my)).(color.Gray).Y < 0x80
		}
	}
	return rows, nil
}

// Write draws a QR code of text on w, error correction level M, a line
// of text for every two rows of modules. Light modules are drawn and dark
// ones left blank, which reads right on the light-on-dark text of most
// terminals (as qrencode -t utf8 draws); on a light background the code
// shows inverted, which some scanners do not read.
func Write(w io.Writer, text string) error {
	rows, err := modules(text)
	if err != nil {
		return err
	}
	var b strings.Builder
	for y := 0; y < len(rows); y += 2 {
		for x := range rows[y] {
			top := !rows[y][x]
			bottom := y+1 < len(rows) && !rows[y+1][x]
			b.WriteString(cell(top, bottom))
		}
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// cell returns the character that lights the top and bottom halves asked
// for.
func cell(top, bottom bool) string {
	switch {
	case top && bottom:
		return "█"
	case top:
		return "▀"
	case bottom:
		return "▄"
	}
	return " "
}
