package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Widths of the side panel (the user list), in pixels and as a share of
// the window.
const (
	sideWidth    = 190  // at first
	sideMin      = 100  // however narrow the window
	sideMaxShare = 0.33 // at most this share of the width
)

// sideSplit is a horizontal split whose trailing side (the user list)
// keeps its width in pixels when the window is resized, as chat programs'
// user lists do: Fyne's Split keeps the proportion instead, which makes
// the list a third of a wide window and squeezes the messages in a
// narrow one. A width the user sets by dragging the divider is kept in
// the same way.
type sideSplit struct {
	widget.BaseWidget
	split *container.Split
	want  float32 // the side's width to keep
	set   float64 // the Offset last set here, to tell a drag from it
}

func newSideSplit(main, side fyne.CanvasObject) *sideSplit {
	s := &sideSplit{split: container.NewHSplit(main, side), want: sideWidth}
	s.ExtendBaseWidget(s)
	return s
}

// CreateRenderer implements fyne.Widget.
func (s *sideSplit) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(s.split)
}

// Resize sets the split's offset so that the side keeps its width.
func (s *sideSplit) Resize(size fyne.Size) {
	if old := s.Size().Width; old > 0 && s.split.Offset != s.set {
		s.want = float32(1-s.split.Offset) * old // the user dragged the divider
	}
	if size.Width > 0 {
		w := min(max(s.want, sideMin), sideMaxShare*size.Width)
		s.set = 1 - float64(w/size.Width)
		s.split.Offset = s.set // read by the split's layout in the resize below
	}
	s.BaseWidget.Resize(size)
}
