package xmppclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/xmppauth/xmppauth/fast"
)

// tokenFile is the name of the file in the data directory that keeps the
// FAST tokens.
const tokenFile = "fast-tokens.json"

// FileKeeper is a fast.Keeper in a JSON file of the data directory,
// readable by its owner only. Every Save writes a temporary file, syncs it
// and renames it over the old one, so that a crash leaves the old tokens
// or the new ones, and a count once saved is never sent again.
//
// The tokens are secrets, like a password: the file is not for backups.
// One process at a time should use a data directory; of two that save
// at once, the later rename wins.
type FileKeeper struct {
	dir string
	mu  sync.Mutex
}

// NewFileKeeper returns the keeper of the tokens in dir.
func NewFileKeeper(dir string) *FileKeeper { return &FileKeeper{dir: dir} }

// Path returns the path of the file.
func (k *FileKeeper) Path() string { return filepath.Join(k.dir, tokenFile) }

// keptEntry is what the file holds for one account and client.
type keptEntry struct {
	Account  string `json:"account"`
	ClientID string `json:"client_id"`
	fast.Kept
}

// Load implements fast.Keeper.
func (k *FileKeeper) Load(account, clientID string) (fast.Kept, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	entries, err := k.read()
	if err != nil {
		return fast.Kept{}, err
	}
	for _, e := range entries {
		if e.Account == account && e.ClientID == clientID {
			return e.Kept, nil
		}
	}
	return fast.Kept{}, nil
}

// Save implements fast.Keeper. The zero Kept removes the entry, and the
// file once it holds none.
func (k *FileKeeper) Save(account, clientID string, kept fast.Kept) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	entries, err := k.read()
	if err != nil {
		return err
	}
	entries = slices.DeleteFunc(entries, func(e keptEntry) bool {
		return e.Account == account && e.ClientID == clientID
	})
	if kept.Current != nil || kept.Previous != nil {
		entries = append(entries, keptEntry{account, clientID, kept})
	}
	if len(entries) == 0 {
		err := os.Remove(k.Path())
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return syncDir(k.dir)
	}
	b, err := json.MarshalIndent(entries, "", "\t")
	if err != nil {
		return err
	}
	return writeAtomic(k.dir, tokenFile, append(b, '\n'))
}

func (k *FileKeeper) read() ([]keptEntry, error) {
	b, err := os.ReadFile(k.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var entries []keptEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("xmppclient: %s: %w", k.Path(), err)
	}
	return entries, nil
}

// writeAtomic replaces dir/name with data, mode 0600: a temporary file in
// dir, synced, renamed over the old one, and the directory synced.
func writeAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+name+".*") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
