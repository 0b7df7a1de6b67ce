package server

import (
	"syscall"
	"unsafe"
)

// iovScratch is a flushing goroutine's vector for writev(2).
type iovScratch []syscall.Iovec

// maxIovecs is how many frames one tryWritev hands the kernel at most
// (IOV_MAX on Linux); the rest of a longer queue is written next.
const maxIovecs = 1024

// tryWritev writes the frames fs, in order, with one non-blocking
// writev(2), and returns how many bytes went out: n may be short, and err
// is syscall.EAGAIN if the socket buffer is full. iov is the caller's
// scratch space for the vector, kept across calls so that a write does
// not allocate. Like tryWrite it needs no write deadline.
func (w socket) tryWritev(fs [][]byte, iov *iovScratch) (n int, err error) {
	if len(fs) == 1 {
		// One frame, as a lone message brings: write(2) is the shorter
		// path through the kernel.
		return w.tryWrite(fs[0])
	}
	v := (*iov)[:0]
	for _, f := range fs[:min(len(fs), maxIovecs)] {
		if len(f) == 0 {
			continue // nothing to write, nothing to count
		}
		e := syscall.Iovec{Base: &f[0]}
		e.SetLen(len(f))
		v = append(v, e)
	}
	*iov = v
	if len(v) == 0 {
		return 0, nil
	}
	cerr := w.rc.Control(func(fd uintptr) {
		for {
			r, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&v[0])), uintptr(len(v)))
			if e == syscall.EINTR {
				continue
			}
			n = int(r)
			if e != 0 {
				n, err = 0, e
			}
			return
		}
	})
	clear(v) // drop the references to the frames
	if cerr != nil {
		return 0, cerr
	}
	return n, err
}
