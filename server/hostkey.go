package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// HostKeyFile is the file, in the data folder, that holds the headless
// server's host key.
const HostKeyFile = "host.key"

// LoadHostKey returns the host key kept in dir/host.key and the file's
// path, making a new key (128 random bits, hex) the first time. The file
// is written with mode 0600: whoever reads it can moderate the room.
func LoadHostKey(dir string) (key, path string, err error) {
	path = filepath.Join(dir, HostKeyFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		key = strings.TrimSpace(string(b))
		if len(key) < 16 {
			return "", path, fmt.Errorf("host key in %s is too short (at least 16 characters); delete the file to make a new one", path)
		}
		return key, path, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", path, fmt.Errorf("reading the host key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", path, fmt.Errorf("making the data folder for the host key: %w", err)
	}
	var raw [16]byte
	rand.Read(raw[:])
	key = hex.EncodeToString(raw[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", path, fmt.Errorf("writing the host key: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return "", path, fmt.Errorf("writing the host key: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", path, fmt.Errorf("writing the host key: %w", err)
	}
	return key, path, nil
}
