//go:build linux && cgo

package ui

// #include <malloc.h>
// #include <stddef.h>
//
// // C's allocator (glibc) keeps memory that was freed for reuse and
// // returns it to the system only from the top of its heap, so a few
// // live blocks above a large freed area pin it. malloc_trim releases
// // the free pages wherever they lie.
// static int parley_malloc_trim(void) {
// #ifdef __GLIBC__
// 	return malloc_trim(0);
// #else
// 	return 0;
// #endif
// }
//
// // parley_malloc_tune has blocks of at least n bytes mapped by
// // themselves, so that each goes back to the system when freed.
// static void parley_malloc_tune(int n) {
// #ifdef __GLIBC__
// 	mallopt(M_MMAP_THRESHOLD, n);
// #endif
// }
//
// // parley_malloc_info reports what glibc's allocator holds from the
// // system (main and thread arenas, and blocks mapped by themselves) and
// // how much of it is in use; zeros where it cannot tell.
// static void parley_malloc_info(size_t *held, size_t *used) {
// 	*held = 0;
// 	*used = 0;
// #if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
// 	struct mallinfo2 mi = mallinfo2();
// 	*held = mi.arena + mi.hblkhd;
// 	*used = mi.uordblks + mi.hblkhd;
// #endif
// }
import "C"

// mmapThreshold is the smallest block glibc maps by itself: a line of text
// about 200 pixels wide, drawn.
const mmapThreshold = 16 << 10

// mallocTrim gives the C allocator's free pages back to the system.
func mallocTrim() {
	C.parley_malloc_trim()
}

// mallocTune sets glibc's threshold for mapping a block by itself
// (M_MMAP_THRESHOLD) to mmapThreshold. Most of what the window allocates
// through C is Mesa's copy of each line's text texture, tens of KB, kept
// until Fyne lets the line's texture go; below glibc's adaptive
// threshold (which climbs to 32 MB) these fill its heap, and a few live
// ones pin the freed rest until malloc_trim. Mapped by themselves, they go
// back to the system as each is freed, which lowers the peak during a
// flood (docs/PERFORMANCE.md#what-changed-and-why).
func mallocTune() {
	C.parley_malloc_tune(mmapThreshold)
}

// mallocInfo returns the bytes the C allocator holds from the system and
// the bytes of it in use (zero when the C library cannot tell).
func mallocInfo() (held, used uint64) {
	var h, u C.size_t
	C.parley_malloc_info(&h, &u)
	return uint64(h), uint64(u)
}
