package chatlog

// ring is a double-ended queue of T: push at the back and pop at the front
// in amortised O(1), index in O(1). It grows by doubling and never shrinks.
type ring[T any] struct {
	buf  []T
	head int
	n    int
}

func (r *ring[T]) len() int { return r.n }

// at returns the i-th element from the front; i must be in [0, len).
func (r *ring[T]) at(i int) *T {
	if i < 0 || i >= r.n {
		panic("chatlog: ring index out of range")
	}
	j := r.head + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return &r.buf[j]
}

func (r *ring[T]) push(v T) {
	if r.n == len(r.buf) {
		r.grow()
	}
	j := r.head + r.n
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	r.buf[j] = v
	r.n++
}

func (r *ring[T]) grow() {
	size := 2 * len(r.buf)
	if size < 16 {
		size = 16
	}
	buf := make([]T, size)
	k := copy(buf, r.buf[r.head:])
	copy(buf[k:], r.buf[:r.head])
	r.buf = buf
	r.head = 0
}

// pushFront adds v before the front element.
func (r *ring[T]) pushFront(v T) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.head--
	if r.head < 0 {
		r.head += len(r.buf)
	}
	r.buf[r.head] = v
	r.n++
}

// popFront removes and returns the front element; the ring must not be
// empty. Its slot is zeroed so that the strings it held can be collected.
func (r *ring[T]) popFront() T {
	if r.n == 0 {
		panic("chatlog: pop from empty ring")
	}
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero
	r.head++
	if r.head == len(r.buf) {
		r.head = 0
	}
	r.n--
	return v
}

// popBack removes and returns the back element; the ring must not be empty.
func (r *ring[T]) popBack() T {
	if r.n == 0 {
		panic("chatlog: pop from empty ring")
	}
	var zero T
	p := r.at(r.n - 1)
	v := *p
	*p = zero
	r.n--
	return v
}

// clear empties the ring, keeping its buffer.
func (r *ring[T]) clear() {
	var zero T
	for i := range r.buf {
		r.buf[i] = zero
	}
	r.head, r.n = 0, 0
}
