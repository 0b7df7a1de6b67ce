package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
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

// newLogSyncer returns the kernel's asynchronous fdatasync when this
// kernel has it, else the plain system call.
//
// Why: a goroutine in a blocking system call keeps its processor (P) until
// the runtime's monitor notices, 20 µs to 10 ms later, and on a server
// pinned to one core that P is the only one. A run trace of the fan-out
// with -sync full found the fan-out's goroutines runnable, and none
// running, 10 % of the time, while fdatasync held the P
// (docs/PERFORMANCE.md, "The durable path's sync no longer holds the
// processor"). The
// asynchronous form hands the fdatasync to a kernel worker (Linux AIO,
// IOCB_CMD_FDSYNC, Linux 4.18 and later: the same vfs_fsync as the system
// call) and waits for its completion on an eventfd through Go's network
// poller, which parks the goroutine and keeps the P running the others.
func newLogSyncer() logSyncer {
	a, err := newAIOSync()
	if err != nil {
		return plainSync{}
	}
	return a
}

// aioSync is one Linux AIO context with one request at most in flight
// (Sync holds smu), and the eventfd its completions signal.
type aioSync struct {
	ctx   uintptr  // aio_context_t
	efd   int      // the eventfd's descriptor, for the requests
	event *os.File // the same eventfd, non-blocking, in Go's poller
}

// The kernel's struct iocb and struct io_event (linux/aio_abi.h), for
// the little-endian 64-bit layout (aio_key before aio_rw_flags).
type iocb struct {
	data     uint64
	key      uint32
	rwFlags  int32
	opcode   uint16
	reqprio  int16
	fildes   uint32
	buf      uint64
	nbytes   uint64
	offset   int64
	reserved uint64
	flags    uint32
	resfd    uint32
}

type ioEvent struct {
	data, obj uint64
	res, res2 int64
}

const (
	iocbCmdFdsync = 3 // IOCB_CMD_FDSYNC
	iocbFlagResfd = 1 // IOCB_FLAG_RESFD: signal the eventfd in resfd
)

func newAIOSync() (*aioSync, error) {
	if unsafe.Sizeof(iocb{}) != 64 || unsafe.Sizeof(ioEvent{}) != 32 {
		return nil, errors.New("unexpected AIO structure sizes")
	}
	var ctx uintptr
	if _, _, e := unix.Syscall(unix.SYS_IO_SETUP, 1, uintptr(unsafe.Pointer(&ctx)), 0); e != 0 {
		return nil, fmt.Errorf("io_setup: %w", e)
	}
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Syscall(unix.SYS_IO_DESTROY, ctx, 0, 0)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	// EFD_NONBLOCK is what puts the eventfd in Go's poller (os.NewFile
	// polls a descriptor that is non-blocking already): without it each
	// wait would be a blocking read that holds the P again
	// (TestAIOSyncWaitsInPoller).
	return &aioSync{ctx: ctx, efd: fd, event: os.NewFile(uintptr(fd), "aio-eventfd")}, nil
}

func (a *aioSync) kind() string { return "aio" }

// sync submits one IOCB_CMD_FDSYNC for f and waits for it. A file system
// that refuses it at submission (EINVAL: no fsync of its own), or a kernel
// short of AIO resources for the moment (EAGAIN), gets the system call
// instead: never a loop that spins on the refusal.
func (a *aioSync) sync(f *os.File) error {
	cb := iocb{opcode: iocbCmdFdsync, fildes: uint32(f.Fd()), flags: iocbFlagResfd, resfd: uint32(a.efd)}
	cbs := [1]*iocb{&cb}
	for {
		n, _, e := unix.Syscall(unix.SYS_IO_SUBMIT, a.ctx, 1, uintptr(unsafe.Pointer(&cbs[0])))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 || n != 1 {
			return datasync(f)
		}
		break
	}
	var ev [1]ioEvent
	var zero unix.Timespec // reap without waiting: the eventfd says when
	for wait := true; ; {
		if wait {
			var count [8]byte
			if _, err := a.event.Read(count[:]); err != nil {
				return fmt.Errorf("waiting for the sync's completion: %w", err)
			}
		}
		n, _, e := unix.Syscall6(unix.SYS_IO_GETEVENTS, a.ctx, 1, 1,
			uintptr(unsafe.Pointer(&ev[0])), uintptr(unsafe.Pointer(&zero)), 0)
		if e == syscall.EINTR {
			wait = false
			continue
		}
		if e != 0 {
			return fmt.Errorf("io_getevents: %w", e)
		}
		if n == 1 {
			break
		}
		wait = true
	}
	if ev[0].res < 0 {
		return syscall.Errno(-ev[0].res)
	}
	return nil
}

// close waits for a request in flight, then frees the context.
func (a *aioSync) close() {
	unix.Syscall(unix.SYS_IO_DESTROY, a.ctx, 0, 0)
	a.event.Close()
}
