package xmppclient

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/xmppauth/xmppauth/sasl2"
)

// userAgentFile is the name of the file in the data directory that keeps
// the user-agent id.
const userAgentFile = "user-agent-id"

// UserAgentID returns the installation's user-agent id, kept in dir. On
// first use it draws a UUIDv4 from crypto/rand and writes it there; dir is
// created, readable by its owner only. The id is not secret, but it is
// private: it lets the server recognise this installation, so the server
// never shows it to others (XEP-0388 §2.2.1).
func UserAgentID(dir string) (string, error) {
	path := filepath.Join(dir, userAgentFile)
	b, err := os.ReadFile(path)
	if err == nil {
		id, ok := (&sasl2.UserAgent{ID: strings.TrimSpace(string(b))}).ClientID()
		if !ok {
			return "", fmt.Errorf("xmppclient: %s does not hold a UUID", path)
		}
		return id, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}

	id := NewUUID()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	return id, nil
}

// NewUUID returns a random UUID, version 4 (RFC 9562 §5.4).
func NewUUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
