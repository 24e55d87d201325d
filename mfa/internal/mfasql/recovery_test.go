package mfasql

import (
	"bytes"
	"slices"
	"testing"
)

func TestPackedHashesReadBackInOrder(t *testing.T) {
	for _, hashes := range [][][]byte{
		nil,
		{{}},
		{{0xab}},
		{{0x01, 0x02}, {}, {0xff, 0x00, 0x7f}},
	} {
		s, n := pack(hashes)
		got, err := unpack(s)
		if err != nil || n != len(hashes) ||
			!slices.EqualFunc(got, hashes, bytes.Equal) {
			t.Errorf("pack(%x) = %q, %d; unpacked %x, %v",
				hashes, s, n, got, err)
		}
	}
}

func TestPackKeepsEachHashOnce(t *testing.T) {
	s, n := pack([][]byte{{1}, {2}, {1}})
	if s != ";01;02;" || n != 2 {
		t.Errorf("pack = %q, %d, want \";01;02;\", 2", s, n)
	}
}

func TestUnpackRefusesAMangledColumn(t *testing.T) {
	for _, s := range []string{"", "01;", ";01", ";0x;"} {
		if got, err := unpack(s); err == nil {
			t.Errorf("unpack(%q) = %x, want an error", s, got)
		}
	}
}
