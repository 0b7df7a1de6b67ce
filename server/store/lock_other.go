//go:build !unix

package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir opens the data folder's lock file. Elsewhere than Unix it is
// not locked: SQLite's own locks keep the file whole, but two servers on
// one folder would give out the same message ids.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock file: %w", err)
	}
	return f, nil
}
