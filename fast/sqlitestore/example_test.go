package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/xmppauth/xmppauth/fast"
	"github.com/xmppauth/xmppauth/fast/sqlitestore"
)

// A token's life in the store: issued into New, promoted to Current by
// its first use, its replay count advanced, a replay refused, and all of
// the user's tokens revoked when the password changes.
func Example() {
	dir, err := os.MkdirTemp("", "sqlitestore")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	s, err := sqlitestore.Open(filepath.Join(dir, "fast.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ctx := context.Background()
	const client = "d4f8c6a2-4c33-4d67-9b44-7a1f2b3c4d5e"

	issued := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	err = s.Issue(ctx, &fast.Token{
		ID:        "2b7e1516",
		User:      "juliet",
		ClientID:  client,
		Sealed:    []byte("sealed elsewhere"),
		Mechanism: "HT-SHA-256-ENDP",
		Issued:    issued,
		Expiry:    issued.Add(21 * 24 * time.Hour),
		Factors:   []string{"password", "totp"},
	})
	fmt.Println("issue:", err)

	err = s.Use(ctx, "juliet", client, fast.New, "2b7e1516", 1)
	fmt.Println("first use:", err)
	err = s.Use(ctx, "juliet", client, fast.Current, "2b7e1516", 2)
	fmt.Println("count 2:", err)
	err = s.Use(ctx, "juliet", client, fast.Current, "2b7e1516", 2)
	fmt.Println("count 2 again:", errors.Is(err, fast.ErrConflict))

	cur, next, _ := s.Tokens(ctx, "juliet", client)
	fmt.Println("current:", cur.ID, cur.Count, cur.Expiry, cur.Factors)
	fmt.Println("new:", next)

	err = s.Revoke(ctx, "juliet")
	fmt.Println("revoke:", err)
	cur, next, err = s.Tokens(ctx, "juliet", client)
	fmt.Println("after revoke:", cur, next, err)
	_, _, err = s.Tokens(ctx, "romeo", client)
	fmt.Println("never issued:", errors.Is(err, fast.ErrNotFound))

	// Output:
	// issue: <nil>
	// first use: <nil>
	// count 2: <nil>
	// count 2 again: true
	// current: 2b7e1516 2 2026-04-04 15:09:26 +0000 UTC [password totp]
	// new: <nil>
	// revoke: <nil>
	// after revoke: <nil> <nil> <nil>
	// never issued: true
}
