package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	// Every value falls in a bucket whose range holds it, and buckets are
	// ordered: a bucket's range starts right after the previous one's.
	vals := []int64{0, 1, 63, 64, 65, 127, 128, 129, 1000, 4095, 4096, 1e6, 1e9, 1<<62 + 12345, 1<<63 - 1}
	for _, v := range vals {
		b := bucketOf(v)
		lo, hi := bucketRange(b)
		if v < lo || v > hi {
			t.Errorf("value %d in bucket %d [%d, %d]", v, b, lo, hi)
		}
		if b >= histBuckets {
			t.Errorf("value %d: bucket %d past the end (%d)", v, b, histBuckets)
		}
	}
	var prevHi int64 = -1
	for b := 0; b < histBuckets; b++ {
		lo, hi := bucketRange(b)
		if lo != prevHi+1 || hi < lo {
			t.Fatalf("bucket %d is [%d, %d], previous ended at %d", b, lo, hi, prevHi)
		}
		prevHi = hi
		if prevHi == 1<<63-1 {
			if b != histBuckets-1 {
				t.Fatalf("int64 range ends at bucket %d of %d", b, histBuckets)
			}
			break
		}
	}
}

func TestQuantileAgainstSorted(t *testing.T) {
	tests := []struct {
		name string
		gen  func(r *rand.Rand) time.Duration
	}{
		{"uniform 0-10ms", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(10 * time.Millisecond))) }},
		{"exponential 200us", func(r *rand.Rand) time.Duration { return time.Duration(r.ExpFloat64() * 200e3) }},
		{"bimodal", func(r *rand.Rand) time.Duration {
			if r.IntN(100) == 0 {
				return 50*time.Millisecond + time.Duration(r.Int64N(1e6))
			}
			return 100*time.Microsecond + time.Duration(r.Int64N(1e4))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h hist
			vals := make([]time.Duration, 100_000)
			for i := range vals {
				vals[i] = tt.gen(r)
				h.record(i, vals[i])
			}
			slices.Sort(vals)
			s := h.snapshot()
			if s.n != uint64(len(vals)) {
				t.Fatalf("count %d, want %d", s.n, len(vals))
			}
			if s.max != int64(vals[len(vals)-1]) {
				t.Errorf("max %v, want %v", time.Duration(s.max), vals[len(vals)-1])
			}
			for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
				want := vals[min(int(q*float64(len(vals))+0.5), len(vals))-1]
				got := s.quantile(q)
				if diff := float64(got-want) / float64(want); diff > 0.02 || diff < -0.02 {
					t.Errorf("q%.3f = %v, sorted samples say %v (%.1f%% off)", q, got, want, diff*100)
				}
			}
		})
	}
}

func TestQuantileEmpty(t *testing.T) {
	var h hist
	if got := h.snapshot().quantile(0.99); got != 0 {
		t.Errorf("empty histogram p99 = %v, want 0", got)
	}
}

func BenchmarkHistRecord(b *testing.B) {
	var h hist
	v := time.Duration(123456)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.record(i, v+time.Duration(i&1023))
	}
}

func BenchmarkHistRecordParallel(b *testing.B) {
	var h hist
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(1000)
		for pb.Next() {
			h.record(i, time.Duration(100000+i))
			i++
		}
	})
}
