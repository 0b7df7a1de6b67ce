package store

import "os"

// logSyncer waits until a file's data is on the disk. Sync calls it with
// smu held, so one call at most is in flight.
type logSyncer interface {
	sync(f *os.File) error
	kind() string // "aio" or "syscall", for tests and logs
	close()
}

// plainSync is the blocking system call (fdatasync, or F_FULLFSYNC on
// macOS through os.File.Sync).
type plainSync struct{}

func (plainSync) sync(f *os.File) error { return datasync(f) }
func (plainSync) kind() string          { return "syscall" }
func (plainSync) close()                {}
