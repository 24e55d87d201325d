package scram

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// TestSASLprep runs the examples of RFC 4013 §3 through Derive: inputs
// that prepare alike derive the same keys, and refused inputs derive none.
func TestSASLprep(t *testing.T) {
	salt := []byte("salt")
	derive := func(t *testing.T, p string) (Credentials, error) {
		return Derive(crypto.SHA1, p, salt, 1)
	}
	same := []struct{ name, in, want string }{
		{"a soft hyphen is mapped to nothing", "I\u00adX", "IX"},
		{"plain ASCII is unchanged", "user", "user"},
		{"case is kept", "USER", "USER"},
		{"the feminine ordinal becomes a by NFKC", "\u00aa", "a"},
		{"Roman numeral nine becomes IX by NFKC", "\u2168", "IX"},
		{"a no-break space is mapped to a space", "a\u00a0b", "a b"},
	}
	for _, c := range same {
		t.Run(c.name, func(t *testing.T) {
			a, err := derive(t, c.in)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := derive(t, c.want)
			if !bytes.Equal(a.StoredKey, b.StoredKey) {
				t.Fatalf("%q and %q derive different keys", c.in, c.want)
			}
		})
	}
	refused := []struct{ name, in string }{
		{"a control character is prohibited", "\u0007"},
		{"mixed-direction text fails the bidi check", "\u0627\u0031"},
		{"an empty password is refused", ""},
		{"a password that maps to nothing is refused", "\u00ad"},
		{"invalid UTF-8 is refused", "pass\xffword"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			if _, err := derive(t, c.in); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestCredentials(t *testing.T) {
	t.Run("Derive refuses what SCRAM cannot use", func(t *testing.T) {
		for _, c := range []struct {
			h    crypto.Hash
			salt []byte
			iter int
		}{
			{crypto.MD5, []byte("s"), 1},
			{crypto.SHA384, []byte("s"), 1},
			{crypto.SHA256, nil, 1},
			{crypto.SHA256, []byte("s"), 0},
			{crypto.SHA256, []byte("s"), -1},
		} {
			if _, err := Derive(c.h, "pencil", c.salt, c.iter); err == nil {
				t.Errorf("Derive(%v, %q, %d) gave no error", c.h, c.salt, c.iter)
			}
		}
	})
	t.Run("Derive keeps its own copy of the salt", func(t *testing.T) {
		salt := []byte("salt")
		c, _ := Derive(crypto.SHA256, "pencil", salt, 1)
		salt[0] = 'X'
		if string(c.Salt) != "salt" {
			t.Fatal("salt aliased")
		}
	})
	t.Run("NewCredentials draws a 16-byte salt and defaults to 4096", func(t *testing.T) {
		r := bytes.NewReader(bytes.Repeat([]byte{7}, 16))
		c, err := NewCredentials(crypto.SHA512, "pencil", 0, r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.Salt, bytes.Repeat([]byte{7}, 16)) ||
			c.Iterations != DefaultIterations || len(c.StoredKey) != 64 {
			t.Fatalf("got %+v", c)
		}
	})
	t.Run("NewCredentials reports a failing reader", func(t *testing.T) {
		r := iotest.ErrReader(errors.New("no entropy"))
		if _, err := NewCredentials(crypto.SHA256, "p", 0, r); err == nil ||
			!strings.HasPrefix(err.Error(), "scram: ") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Verify checks the password, the hash and the stored values", func(t *testing.T) {
		c, _ := NewCredentials(crypto.SHA256, "pencil", 1, nil)
		switch {
		case !c.Verify(crypto.SHA256, "pencil"):
			t.Error("right password refused")
		case c.Verify(crypto.SHA256, "Pencil"):
			t.Error("wrong password accepted")
		case c.Verify(crypto.SHA1, "pencil"):
			t.Error("accepted under another hash")
		case Credentials{}.Verify(crypto.SHA256, "pencil"):
			t.Error("zero credentials accepted")
		}
		bad := c
		bad.ServerKey = c.StoredKey
		if bad.Verify(crypto.SHA256, "pencil") {
			t.Error("a wrong ServerKey went unnoticed")
		}
	})
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	s := &MemoryStore{}
	if _, err := s.Credentials(ctx, "user", crypto.SHA256); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("empty store: %v", err)
	}
	c, _ := NewCredentials(crypto.SHA256, "pencil", 1, nil)
	s.Set("user", crypto.SHA256, c)
	c.StoredKey[0] ^= 1
	got, err := s.Credentials(ctx, "user", crypto.SHA256)
	if err != nil || bytes.Equal(got.StoredKey, c.StoredKey) {
		t.Fatalf("Set kept the caller's slice: %v", err)
	}
	if _, err := s.Credentials(ctx, "user", crypto.SHA1); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("other hash: %v", err)
	}
	s.Delete("user")
	if _, err := s.Credentials(ctx, "user", crypto.SHA256); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("after Delete: %v", err)
	}
}
