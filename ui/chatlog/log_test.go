package chatlog_test

import (
	"fmt"
	"testing"

	"parley/net/wire"
	"parley/ui/chatlog"
)

func TestLogAppendAndCap(t *testing.T) {
	tests := []struct {
		name     string
		max, add int
		wantLen  int // after the last append
	}{
		{"under the cap", 5, 3, 3},
		{"at the cap", 5, 5, 5},
		{"over the cap, one at a time", 5, 12, 5},
		{"cap of one", 1, 4, 1},
		{"default cap", 0, 10, 10},
		// 40/16 = 2 dropped at a time: 40 full, then 39, 40, 39...
		{"over the cap, two at a time", 40, 100, 40},
		{"across ring growth", 1000, 2500, 1000 - 62 + (2500-1000-1)%62 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := chatlog.NewLog(tt.max)
			max := l.Max()
			for i := 1; i <= tt.add; i++ {
				if seq := l.Append(chatlog.Entry{Text: fmt.Sprintf("m%d", i)}); seq != l.FirstSeq()+uint64(l.Len()-1) {
					t.Fatalf("Append #%d returned seq %d", i, seq)
				}
				if l.Len() > max {
					t.Fatalf("Len %d over the cap %d", l.Len(), max)
				}
			}
			if l.Len() != tt.wantLen {
				t.Fatalf("Len = %d, want %d", l.Len(), tt.wantLen)
			}
			if got, want := l.At(0).Text, fmt.Sprintf("m%d", tt.add-l.Len()+1); got != want {
				t.Errorf("oldest = %q, want %s: the oldest entries are dropped", got, want)
			}
			if got := l.At(l.Len() - 1).Text; got != fmt.Sprintf("m%d", tt.add) {
				t.Errorf("newest = %q, want m%d", got, tt.add)
			}
			// The newest entries are kept, in order, with consecutive Seq,
			// and Index agrees.
			for i := 0; i < l.Len(); i++ {
				e := l.At(i)
				want := uint64(tt.add - l.Len() + 1 + i)
				if e.Seq != l.FirstSeq()+uint64(i) || e.Text != fmt.Sprintf("m%d", want) {
					t.Fatalf("At(%d) = %d %q, want %d", i, e.Seq, e.Text, want)
				}
				if j, ok := l.Index(e.Seq); !ok || j != i {
					t.Fatalf("Index(%d) = %d, %v; want %d", e.Seq, j, ok, i)
				}
			}
			if _, ok := l.Index(l.FirstSeq() - 1); ok && l.FirstSeq() > 1 {
				t.Error("Index found a dropped entry")
			}
			if _, ok := l.Index(l.FirstSeq() + uint64(l.Len())); ok {
				t.Error("Index found an entry not yet appended")
			}
		})
	}
}

func TestLogPending(t *testing.T) {
	l := chatlog.NewLog(3)
	l.Append(chatlog.Entry{From: "bob", Text: "hi"})
	seq := l.AppendPending("c1", chatlog.Entry{From: "me", Text: "hello  "})
	l.AppendPending("c2", chatlog.Entry{From: "me", Text: "second"})
	if l.Pending() != 2 {
		t.Fatalf("Pending = %d, want 2", l.Pending())
	}
	i, changed, ok := l.Confirm(wire.Msg{ID: 7, Time: 1234, From: "me", Text: "hello", CID: "c1"})
	if !ok || !changed {
		t.Fatalf("Confirm = %d, %v, %v; want ok and a changed text", i, changed, ok)
	}
	if e := l.At(i); e.Seq != seq || e.State != chatlog.Delivered || e.ID != 7 || e.Time != 1234 || e.Text != "hello" || !e.Own {
		t.Errorf("confirmed entry = %+v", *e)
	}
	if _, _, ok := l.Confirm(wire.Msg{ID: 8, CID: "c1"}); ok {
		t.Error("a second echo of c1 confirmed again")
	}
	if _, _, ok := l.Confirm(wire.Msg{ID: 9}); ok {
		t.Error("a message without a cid confirmed something")
	}
	if i, ok := l.Fail("c2"); !ok || l.At(i).State != chatlog.Failed {
		t.Errorf("Fail(c2) = %d, %v", i, ok)
	}
	if _, ok := l.Fail("c2"); ok {
		t.Error("Fail(c2) twice succeeded")
	}
	// A pending entry that is dropped is forgotten: its echo is then new.
	l.AppendPending("c3", chatlog.Entry{From: "me", Text: "third"})
	for k := 0; k < 3; k++ {
		l.Append(chatlog.Entry{From: "bob", Text: "flood"})
	}
	if l.Pending() != 0 {
		t.Errorf("Pending = %d after the pending entry was dropped", l.Pending())
	}
	if _, _, ok := l.Confirm(wire.Msg{ID: 10, CID: "c3", Text: "third"}); ok {
		t.Error("Confirm matched a dropped entry")
	}

	// FailAll fails what is pending, and only that.
	l.AppendPending("c4", chatlog.Entry{From: "me", Text: "fourth"})
	l.AppendPending("c5", chatlog.Entry{From: "me", Text: "fifth"})
	if n := l.FailAll(); n != 2 || l.Pending() != 0 {
		t.Errorf("FailAll = %d, Pending after = %d", n, l.Pending())
	}
	states := ""
	for k := 0; k < l.Len(); k++ {
		states += fmt.Sprint(l.At(k).State)
	}
	if want := fmt.Sprint(chatlog.Delivered) + fmt.Sprint(chatlog.Failed) + fmt.Sprint(chatlog.Failed); states != want {
		t.Errorf("states after FailAll = %s, want %s", states, want)
	}
	if n := l.FailAll(); n != 0 {
		t.Errorf("FailAll again = %d", n)
	}
}

func BenchmarkLogAppend(b *testing.B) {
	for _, max := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("cap=%d", max), func(b *testing.B) {
			l := chatlog.NewLog(max)
			e := chatlog.Entry{From: "alice", Text: "a typical chat message of some length"}
			b.ReportAllocs()
			for b.Loop() {
				l.Append(e)
			}
		})
	}
}
