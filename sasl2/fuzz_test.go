package sasl2

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzServer feeds arbitrary elements to a server after a valid start. The
// server must never panic, and must answer every element with either an
// element or a stream error, never both and never neither.
func FuzzServer(f *testing.F) {
	paths, _ := filepath.Glob("../testdata/sasl2/*/*")
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, chunk := range strings.Split(string(raw), "\n"+"C: ") {
			f.Add(chunk)
		}
	}
	f.Add(auth("TEST", "-"))
	f.Fuzz(func(t *testing.T, s string) {
		h := newHarness(t, oneTask)
		d := xml.NewDecoder(strings.NewReader(auth("TEST", "-") + s))
		for range 8 {
			tok, err := d.Token()
			if err != nil {
				return
			}
			start, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			el, err := Decode(d, start)
			if err != nil {
				return
			}
			out, err := h.srv.Receive(context.Background(), el)
			if (out == nil) == (err == nil) {
				t.Fatalf("got %#v and %v", out, err)
			}
			if err != nil {
				return
			}
			if _, err := xml.Marshal(out); err != nil {
				t.Fatalf("reply does not encode: %v", err)
			}
		}
	})
}
