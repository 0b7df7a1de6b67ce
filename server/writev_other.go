//go:build !linux

package server

// iovScratch is unused where tryWritev writes one frame at a time.
type iovScratch struct{}

// tryWritev writes the first of the frames fs with one non-blocking write
// (see tryWrite): the others are left, as after a short write, for the
// peer's flusher. Only Linux has the vectored version.
func (w socket) tryWritev(fs [][]byte, _ *iovScratch) (int, error) {
	if len(fs) == 0 {
		return 0, nil
	}
	return w.tryWrite(fs[0])
}
