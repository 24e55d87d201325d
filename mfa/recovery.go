package mfa

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xmppauth/xmppauth/sasl2"
)

// Recovery code format (docs/mfa.md §5.3): 80 random bits as 16
// characters of Crockford's base32, in groups of four.
const (
	// MinRecoveryCodes is the least number of codes in a set.
	MinRecoveryCodes = 10
	// RecoveryBits is the entropy of one code.
	RecoveryBits = 80
	codeChars    = RecoveryBits / 5
	crockford    = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// RecoveryConfig configures the recovery-code factor.
type RecoveryConfig struct {
	// Store keeps the hashed codes. Required.
	Store RecoveryStore
	// Key is the secret HMAC key codes are hashed with; keep it out of
	// the database. Nil hashes with SHA-256 alone, which 80 random bits
	// make safe enough.
	Key []byte
	// Count is the number of codes in a set; anything below
	// MinRecoveryCodes means MinRecoveryCodes.
	Count int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the source of codes; nil means crypto/rand.
	Rand io.Reader
}

// Recovery is the MFA-RECOVERY factor: sets of single-use codes, stored
// only as hashes. It is safe for concurrent use.
type Recovery struct {
	cfg RecoveryConfig
}

// NewRecovery returns the recovery-code factor for cfg. It fails without
// a store.
func NewRecovery(cfg RecoveryConfig) (*Recovery, error) {
	if cfg.Store == nil {
		return nil, errors.New("mfa: recovery codes need a store")
	}
	cfg.Count = max(cfg.Count, MinRecoveryCodes)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Recovery{cfg: cfg}, nil
}

// Name implements Factor: it returns TaskRecovery.
func (*Recovery) Name() string { return TaskRecovery }

// Enrolled implements Factor: an account is enrolled while it has an
// unused code.
func (r *Recovery) Enrolled(ctx context.Context, account string) (bool, error) {
	c, err := r.cfg.Store.RecoveryCodes(ctx, account)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return len(c.Hashes) > 0, nil
}

// List implements Factor.
func (r *Recovery) List(ctx context.Context, account string) ([]FactorInfo, error) {
	c, err := r.cfg.Store.RecoveryCodes(ctx, account)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []FactorInfo{{Type: TypeRecovery, ID: TypeRecovery,
		Created: c.Created, LastUsed: c.LastUsed,
		Remaining: len(c.Hashes)}}, nil
}

// Generate makes a new set of codes for account, stores their hashes in
// place of any older set, and returns the codes. They are secret and
// cannot be shown again. Replacing a set is a sensitive operation: the
// host checks a fresh step-up first when the account has codes.
func (r *Recovery) Generate(ctx context.Context, account string) ([]string, error) {
	codes := make([]string, r.cfg.Count)
	set := &RecoveryCodes{Account: account, Created: r.cfg.Now()}
	raw := make([]byte, RecoveryBits/8)
	for i := range codes {
		if _, err := io.ReadFull(r.cfg.Rand, raw); err != nil {
			return nil, fmt.Errorf("mfa: making recovery codes: %w", err)
		}
		codes[i] = formatCode(raw)
		set.Hashes = append(set.Hashes, r.hash(account, normalise(codes[i])))
	}
	if err := r.cfg.Store.ReplaceRecoveryCodes(ctx, set); err != nil {
		return nil, fmt.Errorf("mfa: storing recovery codes: %w", err)
	}
	return codes, nil
}

// Remove deletes the account's codes. The host must have checked a fresh
// step-up first. It fails with ErrNotFound when there are none.
func (r *Recovery) Remove(ctx context.Context, account string) error {
	if err := r.cfg.Store.DeleteRecoveryCodes(ctx, account); err != nil {
		return fmt.Errorf("mfa: removing recovery codes: %w", err)
	}
	return nil
}

// formatCode writes 80 bits as four groups of four base32 characters.
func formatCode(raw []byte) string {
	var b strings.Builder
	var acc uint64
	bits := 0
	n := 0
	for _, c := range raw {
		acc = acc<<8 | uint64(c)
		for bits += 8; bits >= 5; bits -= 5 {
			if n > 0 && n%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(crockford[acc>>(bits-5)&31])
			n++
		}
	}
	return b.String()
}

// normalise returns a typed code in canonical form: upper case, without
// '-' and spaces, O read as 0 and I and L as 1. It returns "" when what
// remains is not codeChars characters of the alphabet.
func normalise(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		switch c {
		case '-', ' ', '\t':
			continue
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		if strings.IndexByte(crockford, c) < 0 || b.Len() == codeChars {
			return ""
		}
		b.WriteByte(c)
	}
	if b.Len() != codeChars {
		return ""
	}
	return b.String()
}

// hash returns what the store keeps of a normalised code: HMAC-SHA-256
// under Key, or SHA-256, of "mfa-recovery", NUL, the account, NUL and
// the code, so that equal codes of two accounts hash apart.
func (r *Recovery) hash(account, code string) []byte {
	msg := "mfa-recovery\x00" + account + "\x00" + code
	if r.cfg.Key == nil {
		h := sha256.Sum256([]byte(msg))
		return h[:]
	}
	m := hmac.New(sha256.New, r.cfg.Key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// Consume uses up one of the account's codes and returns how many
// remain. A wrong or used code fails as a task would (see Failed). Of
// concurrent uses of one code exactly one succeeds.
func (r *Recovery) Consume(ctx context.Context, account, code string) (int, error) {
	c := normalise(code)
	if c == "" {
		return 0, Failed(ErrRejected)
	}
	n, err := r.cfg.Store.ConsumeRecoveryCode(ctx, account,
		r.hash(account, c), r.cfg.Now())
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, Failed(ErrNotEnrolled)
	case errors.Is(err, ErrConflict):
		return 0, Failed(ErrRejected)
	case err != nil:
		return 0, fmt.Errorf("mfa: consuming a recovery code: %w", err)
	}
	return n, nil
}

// Task implements Factor.
func (r *Recovery) Task() sasl2.Task { return &recoveryTask{r: r} }

// recoveryTask is one run of MFA-RECOVERY: one code, in <next> or after
// a prompt.
type recoveryTask struct {
	r        *Recovery
	account  string
	prompted bool
}

func (*recoveryTask) Name() string { return TaskRecovery }

func (k *recoveryTask) Start(ctx context.Context, res *sasl2.Result, payload []sasl2.Element) (sasl2.TaskStep, error) {
	k.account = res.User
	el, err := Optional(payload, ElemRecovery)
	if err != nil {
		return sasl2.TaskStep{}, Failed(err)
	}
	if el != nil && (el.Text != "" || len(el.Children) > 0) {
		return k.verify(ctx, el)
	}
	k.prompted = true
	return sasl2.TaskStep{Data: []sasl2.Element{element(ElemRecovery)}}, nil
}

func (k *recoveryTask) Next(ctx context.Context, payload []sasl2.Element) (sasl2.TaskStep, error) {
	if !k.prompted {
		return sasl2.TaskStep{}, Failed(ErrMalformed)
	}
	k.prompted = false
	el, err := One(payload, ElemRecovery)
	if err != nil {
		return sasl2.TaskStep{}, Failed(err)
	}
	return k.verify(ctx, el)
}

func (k *recoveryTask) verify(ctx context.Context, el *sasl2.Element) (sasl2.TaskStep, error) {
	c, err := code(el)
	if err != nil {
		return sasl2.TaskStep{}, Failed(err)
	}
	n, err := k.r.Consume(ctx, k.account, c)
	if err != nil {
		return sasl2.TaskStep{}, err
	}
	p := Passed{Task: TaskRecovery, Remaining: n}
	return sasl2.TaskStep{Done: true, Result: []sasl2.Element{p.Element()}}, nil
}
