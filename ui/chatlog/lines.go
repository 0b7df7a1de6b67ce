package chatlog

import (
	"strings"
	"unicode/utf8"
)

// Line is one visual line of the message list: a piece of one entry's
// text that fits the list's width. Every list row shows one Line, so all
// rows have the same height and widget.List never needs per-row heights
// (with those, each of its layout passes walks every row, and each
// SetItemHeight redraws the whole list: too slow for 100,000 messages).
type Line struct {
	// Seq names the entry the line belongs to.
	Seq uint64
	// Start and End are byte offsets into the entry's Text.
	Start, End int32
	// First marks the entry's first line, the one that shows the time and
	// the sender.
	First bool
}

// Lines are the entries of a Log broken into visual lines for a given
// text width, using measure for the width of a string as drawn. They are
// kept in a ring in the same order as the Log, so appending an entry and
// dropping the oldest are amortised O(1).
type Lines struct {
	lines   ring[Line]
	width   float32 // zero or less: do not wrap
	measure func(string) float32
}

// NewLines returns empty Lines that measure text with measure.
func NewLines(measure func(string) float32) *Lines {
	return &Lines{measure: measure}
}

// Len reports how many visual lines there are.
func (ls *Lines) Len() int { return ls.lines.len() }

// At returns the i-th visual line, 0 being the oldest.
func (ls *Lines) At(i int) Line { return *ls.lines.at(i) }

// Width reports the width lines are wrapped to.
func (ls *Lines) Width() float32 { return ls.width }

// Add appends the lines of e, the newest entry.
func (ls *Lines) Add(e *Entry) {
	first := true
	ls.wrap(e, func(start, end int) {
		ls.lines.push(Line{Seq: e.Seq, Start: int32(start), End: int32(end), First: first})
		first = false
	})
}

// DropBefore removes the lines of every entry older than seq, the Seq of
// the oldest entry still in the log.
func (ls *Lines) DropBefore(seq uint64) {
	for ls.lines.len() > 0 && ls.lines.at(0).Seq < seq {
		ls.lines.popFront()
	}
}

// Rebuild lays out every entry of l again at width, as after a resize or
// an entry's text changing.
func (ls *Lines) Rebuild(l *Log, width float32) {
	ls.width = width
	ls.lines.clear()
	for i := 0; i < l.Len(); i++ {
		ls.Add(l.At(i))
	}
}

// Find returns the index of the first visual line of the entry seq, or
// false if it has none. It is a binary search: lines are in Seq order.
func (ls *Lines) Find(seq uint64) (int, bool) {
	lo, hi := 0, ls.lines.len()
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if ls.lines.at(mid).Seq < seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < ls.lines.len() && ls.lines.at(lo).Seq == seq {
		return lo, true
	}
	return 0, false
}

// wrap calls emit with the byte range of each visual line of e's text.
// Hard line breaks always break; a hard line wider than the width is
// broken after the last space that fits, or inside a word that is wider
// than the whole line.
func (ls *Lines) wrap(e *Entry, emit func(start, end int)) {
	text := e.Text
	if ls.width > 0 && e.natural == 0 && text != "" {
		e.natural = ls.naturalWidth(text)
	}
	fits := ls.width <= 0 || e.natural <= ls.width
	start := 0
	for {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		if fits {
			emit(start, end)
		} else {
			ls.wrapLine(text, start, end, emit)
		}
		if end == len(text) {
			return
		}
		start = end + 1
	}
}

// naturalWidth is the width of text's widest hard line, at least a
// hair above zero so that zero can mean "not measured".
func (ls *Lines) naturalWidth(text string) float32 {
	var widest float32 = 0.001
	for text != "" {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		if w := ls.measure(line); w > widest {
			widest = w
		}
	}
	return widest
}

// wrapLine breaks text[start:end], which has no line break, into lines no
// wider than ls.width.
func (ls *Lines) wrapLine(text string, start, end int, emit func(start, end int)) {
	if start == end || ls.measure(text[start:end]) <= ls.width {
		emit(start, end)
		return
	}
	space := ls.measure(" ")
	lineStart := start
	var lineWidth float32
	i := start
	for i < end {
		// A token is a word and the spaces after it.
		wordEnd := i
		for wordEnd < end && text[wordEnd] != ' ' {
			wordEnd++
		}
		tokEnd := wordEnd
		for tokEnd < end && text[tokEnd] == ' ' {
			tokEnd++
		}
		w := ls.measure(text[i:wordEnd])
		switch {
		case lineWidth+w <= ls.width:
			lineWidth += w + space*float32(tokEnd-wordEnd)
			i = tokEnd
			continue
		case i > lineStart:
			// The word goes to the next line; check what is left really
			// fits, as words measured one by one can add up differently
			// from the whole line.
			cut := ls.fitEnd(text, lineStart, i)
			emit(lineStart, cut)
			lineStart, lineWidth, i = cut, 0, cut
			continue
		}
		// A word wider than a whole line: cut it where it stops fitting.
		cut := ls.fitPrefix(text, i, wordEnd)
		emit(lineStart, cut)
		lineStart, lineWidth, i = cut, 0, cut
	}
	if lineStart < end {
		cut := ls.fitEnd(text, lineStart, end)
		emit(lineStart, cut)
		if cut < end {
			ls.wrapLine(text, cut, end, emit)
		}
	}
}

// fitEnd returns where a line that should run from start to end has to
// end so that it fits: end itself, or the start of its last word, or (for
// a single word) a cut inside it. Trailing spaces do not count, as they
// are not drawn.
func (ls *Lines) fitEnd(text string, start, end int) int {
	for {
		visible := strings.TrimRight(text[start:end], " ")
		if ls.measure(visible) <= ls.width {
			return end
		}
		last := strings.LastIndexByte(visible, ' ')
		if last < 0 {
			return ls.fitPrefix(text, start, start+len(visible))
		}
		end = start + last + 1
	}
}

// fitPrefix returns the end of the longest prefix of text[start:end] that
// fits the width, cut between runes, with at least one rune so that a
// line always makes progress.
func (ls *Lines) fitPrefix(text string, start, end int) int {
	boundary := func(p int) bool { return p == end || utf8.RuneStart(text[p]) }
	_, size := utf8.DecodeRuneInString(text[start:end])
	// lo is a rune boundary whose prefix is taken; no boundary above hi
	// fits. Gallop first so that the cost follows the line's length, not
	// the word's: a 16 KB word in a narrow window is many short lines.
	lo, hi := start+size, end
	for step := 8; lo+step < hi; step *= 2 {
		m := lo + step
		for m < hi && !boundary(m) {
			m++
		}
		if ls.measure(text[start:m]) > ls.width {
			hi = m - 1
			break
		}
		lo = m
	}
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		m := mid
		for m > lo && !boundary(m) {
			m--
		}
		if m == lo {
			for m = mid; m <= hi && !boundary(m); m++ {
			}
			if m > hi {
				break
			}
		}
		if ls.measure(text[start:m]) <= ls.width {
			lo = m
		} else {
			hi = m - 1
		}
	}
	return lo
}

// Prepend lays out the first n entries of l, just prepended, before the
// existing lines.
func (ls *Lines) Prepend(l *Log, n int) {
	var lines []Line
	for i := n - 1; i >= 0; i-- {
		e := l.At(i)
		lines = lines[:0]
		first := true
		ls.wrap(e, func(start, end int) {
			lines = append(lines, Line{Seq: e.Seq, Start: int32(start), End: int32(end), First: first})
			first = false
		})
		for k := len(lines) - 1; k >= 0; k-- {
			ls.lines.pushFront(lines[k])
		}
	}
}

// DropFrom removes the lines of every entry with Seq seq or newer, the
// entries that dropped out at the end of the log.
func (ls *Lines) DropFrom(seq uint64) {
	for ls.lines.len() > 0 && ls.lines.at(ls.lines.len()-1).Seq >= seq {
		ls.lines.popBack()
	}
}

// Clear removes every line.
func (ls *Lines) Clear() { ls.lines.clear() }
