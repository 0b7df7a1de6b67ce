//go:build !linux

package store

import "os"

// datasync waits until f's data is on the disk.
func datasync(f *os.File) error { return f.Sync() }

// newLogSyncer returns the plain system call: the asynchronous form is
// Linux's (sync_linux.go).
func newLogSyncer() logSyncer { return plainSync{} }
