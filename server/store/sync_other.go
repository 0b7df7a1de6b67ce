//go:build !linux

package store

import "os"

// datasync waits until f's data is on the disk.
func datasync(f *os.File) error { return f.Sync() }
