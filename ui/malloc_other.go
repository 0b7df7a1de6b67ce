//go:build !linux || !cgo

package ui

// mallocTrim does nothing where the C allocator is not glibc's.
func mallocTrim() {}

// mallocInfo reports nothing where the C allocator is not glibc's.
func mallocInfo() (held, used uint64) { return 0, 0 }

// mallocTune does nothing where the C allocator is not glibc's.
func mallocTune() {}
