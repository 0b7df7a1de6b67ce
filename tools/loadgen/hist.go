package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a log-linear latency histogram in the manner of HdrHistogram:
// each power of two is split into 2^subBits buckets, so a recorded value
// is known to within 1/64 (1.6 %) whatever its size, in fixed memory
// (120 KB) however many values are recorded. Record is lock-free and safe
// from any goroutine; it is sharded so that readers on different cores
// do not fight over one cache line.
type hist struct {
	shards [histShards]histShard
}

const (
	subBits    = 6
	subCount   = 1 << subBits
	histShards = 4
	// histBuckets covers every non-negative int64: the top bucket holds
	// exponent 62, values up to 1<<63 - 1.
	histBuckets = (64 - subBits) * subCount
)

type histShard struct {
	counts [histBuckets]atomic.Uint64
	max    atomic.Int64
	_      [64]byte // keeps the next shard's hot words off this cache line
}

// bucketOf returns the bucket index of v ≥ 0.
func bucketOf(v int64) int {
	u := uint64(v)
	if u < subCount {
		return int(u)
	}
	exp := bits.Len64(u) - 1 // ≥ subBits
	sub := (u >> (exp - subBits)) & (subCount - 1)
	return (exp-subBits+1)<<subBits | int(sub)
}

// bucketRange returns the smallest and largest values of bucket b.
func bucketRange(b int) (lo, hi int64) {
	if b < subCount {
		return int64(b), int64(b)
	}
	exp := b>>subBits + subBits - 1
	sub := uint64(b & (subCount - 1))
	l := (subCount | sub) << (exp - subBits)
	w := uint64(1) << (exp - subBits)
	return int64(l), int64(l + w - 1)
}

// record adds one value; shard picks the shard (any int, a client index).
func (h *hist) record(shard int, v time.Duration) {
	if v < 0 {
		v = 0
	}
	s := &h.shards[uint(shard)%histShards]
	s.counts[bucketOf(int64(v))].Add(1)
	for {
		m := s.max.Load()
		if int64(v) <= m || s.max.CompareAndSwap(m, int64(v)) {
			return
		}
	}
}

// snapshot merges the shards into a plain summary.
func (h *hist) snapshot() *histSnap {
	s := &histSnap{}
	for i := range h.shards {
		sh := &h.shards[i]
		for b := range sh.counts {
			c := sh.counts[b].Load()
			s.counts[b] += c
			s.n += c
		}
		s.max = max(s.max, sh.max.Load())
	}
	return s
}

// histSnap is a merged, read-only histogram.
type histSnap struct {
	counts [histBuckets]uint64
	n      uint64
	max    int64
}

// quantile returns the value at quantile q in [0, 1]: the midpoint of the
// bucket that holds it, never more than the largest value recorded.
func (s *histSnap) quantile(q float64) time.Duration {
	if s.n == 0 {
		return 0
	}
	rank := uint64(q*float64(s.n) + 0.5)
	rank = min(max(rank, 1), s.n)
	var seen uint64
	for b, c := range s.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(b)
			return time.Duration(min(lo+(hi-lo)/2, s.max))
		}
	}
	return time.Duration(s.max)
}
