package chatlog_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"parley/ui/chatlog"
)

// Prepending older entries keeps the log in order with Seq one more per
// entry, and within its cap by dropping the newest: a pending message
// among them is forgotten, so that its echo is appended anew.
func TestLogPrepend(t *testing.T) {
	tests := []struct {
		name                 string
		max, held, prepended int
		wantDropped          int
	}{
		{"room to spare", 10, 3, 4, 0},
		{"exactly full", 10, 6, 4, 0},
		{"over the cap", 10, 6, 7, 3},
		{"page longer than the cap", 5, 2, 9, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := chatlog.NewLog(tt.max)
			for i := 0; i < tt.held-1; i++ {
				l.Append(chatlog.Entry{ID: uint64(100 + i), Text: fmt.Sprint("held ", i)})
			}
			l.AppendPending("c1", chatlog.Entry{Text: "pending"})
			var page []chatlog.Entry
			for i := 0; i < tt.prepended; i++ {
				page = append(page, chatlog.Entry{ID: uint64(50 + i), Text: fmt.Sprint("old ", i)})
			}
			if got := l.Prepend(page); got != tt.wantDropped {
				t.Fatalf("dropped %d, want %d", got, tt.wantDropped)
			}
			if l.Len() > tt.max {
				t.Fatalf("%d entries over the cap of %d", l.Len(), tt.max)
			}
			for i := 0; i < l.Len(); i++ {
				e := l.At(i)
				if e.Seq != l.FirstSeq()+uint64(i) {
					t.Fatalf("entry %d has Seq %d, first %d", i, e.Seq, l.FirstSeq())
				}
				if j, ok := l.Index(e.Seq); !ok || j != i {
					t.Fatalf("Index(%d) = %d, %v", e.Seq, j, ok)
				}
			}
			// The oldest entries of the page are dropped only when it
			// alone is over the cap; the newest of it are always kept.
			wantOldest := uint64(50)
			if tt.prepended > tt.max {
				wantOldest = uint64(50 + tt.prepended - tt.max)
			}
			if got, _ := l.OldestID(0); got != wantOldest {
				t.Errorf("oldest id %d, want %d", got, wantOldest)
			}
			pendingKept := tt.wantDropped == 0
			if (l.Pending() == 1) != pendingKept {
				t.Errorf("pending %d, want kept %v", l.Pending(), pendingKept)
			}
		})
	}
}

// TestLinesPrepend: after an older page is prepended to the log, and the
// newest entries the cap pushed out are dropped (DropFrom), the lines
// laid out for the page in front (Prepend) are exactly what laying out
// the whole log again gives.
func TestLinesPrepend(t *testing.T) {
	tests := []struct {
		name            string
		max, held, page int
	}{
		{"room to spare", 20, 4, 5},
		{"the newest drop out", 10, 8, 6},
		{"a page longer than the cap", 6, 3, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := chatlog.NewLog(tt.max)
			ls := chatlog.NewLines(mono)
			ls.Rebuild(l, 100) // ten characters a line
			for i := range tt.held {
				l.Append(chatlog.Entry{ID: uint64(100 + i), Text: fmt.Sprintf("held %d %s", i, strings.Repeat("x ", i))})
				ls.DropBefore(l.FirstSeq())
				ls.Add(l.At(l.Len() - 1))
			}
			var page []chatlog.Entry
			for i := range tt.page {
				page = append(page, chatlog.Entry{ID: uint64(50 + i), Text: fmt.Sprintf("old %d %s", i, strings.Repeat("yy ", i))})
			}
			n := min(len(page), l.Max())
			if l.Prepend(page) > 0 {
				ls.DropFrom(l.FirstSeq() + uint64(l.Len()))
			}
			ls.Prepend(l, n)

			want := chatlog.NewLines(mono)
			want.Rebuild(l, 100)
			if got, want := lines(ls, l), lines(want, l); !slices.Equal(got, want) {
				t.Fatalf("lines after the page:\n%q\nwant, as laid out afresh:\n%q", got, want)
			}
			if i, ok := ls.Find(l.FirstSeq()); !ok || i != 0 {
				t.Errorf("Find(oldest) = %d, %v; want 0, true", i, ok)
			}
		})
	}
}
