package store

import (
	"os"
	"syscall"
)

// datasync waits until f's data is on the disk. fdatasync skips the
// inode's times, which the log's readers never need: one disk write less
// per commit on most file systems.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
