package server

import (
	"os"
	"sync"
	"syscall"
)

// canPark reports whether idle peers can be parked: waited for by one
// epoll loop instead of a goroutine each.
//
// An idle connection's reader goroutine is most of what the connection
// costs: its stack (2 KiB at the least) and its descriptor. A parked
// peer has neither. Its socket is in an epoll set of the process's own,
// armed for one event (EPOLLONESHOT); the set's descriptor is itself
// waited for through Go's poller, so the loop is an ordinary goroutine
// that sleeps until some parked peer has input, and then starts that
// peer's reader again.
const canPark = true

// parking is the process's epoll set of parked peers. Descriptors are the
// process's, so one set serves every Server.
var parking struct {
	once sync.Once
	epfd int // -1 if the set could not be made
	mu   sync.Mutex
	byFD []*peer // parked peers by descriptor
}

// startParking makes the epoll set and starts its loop, once.
func startParking() bool {
	parking.once.Do(func() {
		parking.epfd = -1
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		if err := syscall.SetNonblock(epfd, true); err != nil {
			syscall.Close(epfd)
			return
		}
		// A non-blocking descriptor handed to os.NewFile is waited for by
		// Go's poller.
		f := os.NewFile(uintptr(epfd), "parley-parked")
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return
		}
		parking.epfd = epfd
		go parkLoop(f, rc)
	})
	return parking.epfd >= 0
}

// parkLoop wakes the parked peers that have input. It runs for the life
// of the process, asleep in Go's poller while no parked peer has input.
func parkLoop(f *os.File, rc syscall.RawConn) {
	defer f.Close()
	events := make([]syscall.EpollEvent, 128)
	for {
		var n int
		err := rc.Read(func(fd uintptr) bool {
			for {
				var err error
				n, err = syscall.EpollWait(int(fd), events, 0)
				switch {
				case err == syscall.EINTR:
					continue
				case err != nil:
					n = 0
					return true
				}
				return n > 0
			}
		})
		if err != nil {
			return
		}
		for _, ev := range events[:n] {
			if p := parkedAt(int(ev.Fd)); p != nil {
				p.wake()
			}
		}
	}
}

func parkedAt(fd int) *peer {
	parking.mu.Lock()
	defer parking.mu.Unlock()
	if fd < 0 || fd >= len(parking.byFD) {
		return nil
	}
	return parking.byFD[fd]
}

// unparked forgets p, woken, unless its descriptor now belongs to another.
func unparked(p *peer) {
	parking.mu.Lock()
	defer parking.mu.Unlock()
	if fd := int(p.pfd); fd < len(parking.byFD) && parking.byFD[fd] == p {
		parking.byFD[fd] = nil
	}
}

// park hands p to the epoll set; the calling reader must return at once
// if it reports true, since from then on another reader may run. False
// means the peer is not parked and the caller stays its reader.
func (p *peer) park() bool {
	if !startParking() {
		return false
	}
	if h := p.s.hooks; h != nil && h.beforePark != nil {
		h.beforePark(p)
	}
	var armed error
	ran := false
	err := p.sock.rc.Control(func(sysfd uintptr) {
		ran = true
		fd := int(sysfd)
		parking.mu.Lock()
		if fd >= len(parking.byFD) {
			parking.byFD = append(parking.byFD, make([]*peer, fd+1-len(parking.byFD))...)
		}
		parking.byFD[fd] = p
		parking.mu.Unlock()
		p.pfd = int32(fd)
		p.parked.Store(true)
		ev := syscall.EpollEvent{
			Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
			Fd:     int32(fd),
		}
		// A descriptor stays in the set, disarmed, after its event, and
		// leaves it when closed: re-arm it, or add it the first time.
		armed = syscall.EpollCtl(parking.epfd, syscall.EPOLL_CTL_MOD, fd, &ev)
		if armed == syscall.ENOENT {
			armed = syscall.EpollCtl(parking.epfd, syscall.EPOLL_CTL_ADD, fd, &ev)
		}
	})
	if err == nil && armed == nil {
		return true
	}
	if !ran {
		// The connection was closed under us (cut, at the end of a grace
		// period or a failed write): Control ran nothing, so the peer was
		// never parked and no wake will come. The caller stays the reader
		// and finds the connection closed.
		return false
	}
	if p.parked.CompareAndSwap(true, false) {
		unparked(p)
		return false
	}
	return true // woken already: that reader owns the connection now
}
