package mfa

import (
	"testing"
	"time"
)

// The SHA-1 test vectors of RFC 6238 Appendix B: the secret is the ASCII
// string "12345678901234567890", codes have 8 digits.
var rfc6238 = []struct {
	unix int64
	step int64
	code string
}{
	{59, 0x1, "94287082"},
	{1111111109, 0x23523EC, "07081804"},
	{1111111111, 0x23523ED, "14050471"},
	{1234567890, 0x273EF07, "89005924"},
	{2000000000, 0x3F940AA, "69279037"},
	{20000000000, 0x27BC86AA, "65353130"},
}

func TestRFC6238SHA1Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, v := range rfc6238 {
		at := time.Unix(v.unix, 0)
		if got := Step(at); got != v.step {
			t.Errorf("Step(%d) = %#x, want %#x", v.unix, got, v.step)
		}
		step, ok := match(secret, v.code, 8, at)
		if !ok || step != v.step {
			t.Errorf("at %d: code %s matched %v step %#x, want step %#x",
				v.unix, v.code, ok, step, v.step)
		}
		// One step of skew either way, and no more.
		for _, d := range []int64{-1, 1} {
			step, ok := match(secret, v.code, 8, at.Add(time.Duration(d)*Period))
			if !ok || step != v.step {
				t.Errorf("at %d%+d steps: matched %v step %#x, want %#x",
					v.unix, d, ok, step, v.step)
			}
		}
		if _, ok := match(secret, v.code, 8, at.Add(2*Period)); ok {
			t.Errorf("at %d+2 steps: matched, want no match", v.unix)
		}
		// The 6-digit code is the last six digits.
		if _, ok := match(secret, v.code[2:], 6, at); !ok {
			t.Errorf("at %d: 6-digit %s did not match", v.unix, v.code[2:])
		}
	}
}

func TestStepBeforeTheEpoch(t *testing.T) {
	for unix, want := range map[int64]int64{-1: -1, -30: -1, -31: -2, 0: 0, 29: 0} {
		if got := Step(time.Unix(unix, 0)); got != want {
			t.Errorf("Step(%d) = %d, want %d", unix, got, want)
		}
	}
}

func TestBackoffDoublesToItsCeiling(t *testing.T) {
	k := &TOTP{cfg: TOTPConfig{Backoff: time.Second, MaxBackoff: time.Minute}}
	want := []time.Duration{0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60}
	for f, w := range want {
		if got := k.delay(f); got != w*time.Second {
			t.Errorf("delay(%d) = %v, want %v", f, got, w*time.Second)
		}
	}
	if got := k.delay(1 << 20); got != time.Minute {
		t.Errorf("delay(huge) = %v, want a minute", got)
	}
}
