package tokensql

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/internal/sqlstore"
)

// oneRow is a DB holding one client's row as the arguments Issue wrote.
type oneRow struct {
	newSlot []any
}

func (db *oneRow) Exec(_ context.Context, query string, args ...any) (
	int64, error) {
	if query != issue {
		return 0, fmt.Errorf("unexpected statement %s", query)
	}
	db.newSlot = args[2:]
	return 1, nil
}

func (db *oneRow) QueryRow(context.Context, string, ...any) sqlstore.Row {
	return db
}

func (db *oneRow) Query(context.Context, string, ...any) iter.Seq2[
	sqlstore.Row, error] {
	return func(func(sqlstore.Row, error) bool) {}
}

// Scan fills an empty Current slot and the New slot from Issue's
// arguments, converting them as the drivers do.
func (db *oneRow) Scan(dest ...any) error {
	if db.newSlot == nil {
		return sql.ErrNoRows
	}
	values := append(make([]any, len(fields)), db.newSlot...)
	for i, v := range values {
		switch d := dest[i].(type) {
		case **string:
			*d = nil
			if v != nil {
				s := v.(string)
				*d = &s
			}
		case **int64:
			*d = nil
			if v != nil {
				n := v.(int64)
				*d = &n
			}
		case *[]byte:
			*d, _ = v.([]byte)
		default:
			return fmt.Errorf("cannot scan into %T", d)
		}
	}
	return nil
}

func TestTimesKeepMicrosecondsInUTC(t *testing.T) {
	s := New(&oneRow{}, "test")
	at := time.Date(2026, 3, 14, 15, 9, 26, 535897932,
		time.FixedZone("UTC-7", -7*60*60))
	tok := &fast.Token{ID: "a", User: "alice", ClientID: "phone",
		Issued: at, Expiry: time.Time{}}
	if err := s.Issue(t.Context(), tok); err != nil {
		t.Fatal(err)
	}

	cur, next, err := s.Tokens(t.Context(), "alice", "phone")
	if err != nil || cur != nil || next == nil {
		t.Fatalf("Tokens = %v, %v, %v", cur, next, err)
	}
	if want := at.Truncate(time.Microsecond).UTC(); next.Issued != want {
		t.Errorf("Issued = %v, want %v", next.Issued, want)
	}
	if !next.Expiry.IsZero() {
		t.Errorf("Expiry = %v, want the zero time", next.Expiry)
	}
}

func TestIssueRefusesATokenWithoutID(t *testing.T) {
	s := New(&oneRow{}, "test")
	for _, tok := range []*fast.Token{nil, {User: "alice"}} {
		if err := s.Issue(t.Context(), tok); err == nil {
			t.Errorf("Issue(%v) succeeded", tok)
		}
	}
}

func TestUseRefusesAnUnknownSlot(t *testing.T) {
	s := New(&oneRow{}, "test")
	err := s.Use(t.Context(), "alice", "phone", fast.Slot(2), "a", 0)
	if err == nil || err == fast.ErrConflict {
		t.Errorf("Use of slot 2 = %v, want a failure", err)
	}
}
