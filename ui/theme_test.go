package ui

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"parley/ui/chatlog"
)

// textTheme is the test theme with another text size and foreground.
type textTheme struct {
	fyne.Theme
	size float32
	fg   color.Color
}

func (t *textTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameText {
		return t.size
	}
	return t.Theme.Size(n)
}

func (t *textTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameForeground {
		return t.fg
	}
	return t.Theme.Color(n, v)
}

// TestListTakesItsTheme puts the message list under a theme of its own
// (container.ThemeOverride), then changes that theme: the rows' text size
// and colour follow the list's theme, not the app's.
func TestListTakesItsTheme(t *testing.T) {
	test.NewTempApp(t)
	m := newMessageList(chatlog.NewLog(10))
	appSize := m.cols.textSize
	big := &textTheme{Theme: test.Theme(), size: appSize + 6, fg: color.NRGBA{R: 200, A: 255}}
	over := container.NewThemeOverride(m, big)
	w := test.NewTempWindow(t, over)
	w.Resize(fyne.NewSize(500, 200))
	m.append(chatlog.Entry{Kind: chatlog.KindChat, From: "bob", Text: "themed words"})
	m.flush()

	check := func(th *textTheme) {
		t.Helper()
		if m.cols.textSize != th.size {
			t.Fatalf("the list measures text at %v, want its theme's %v (the app's is %v)", m.cols.textSize, th.size, appSize)
		}
		r := m.list.Length()
		if r != 1 {
			t.Fatalf("%d rows, want 1", r)
		}
		var run *lineRow
		for _, o := range test.LaidOutObjects(m) {
			if lr, ok := o.(*lineRow); ok && lr.seq != 0 {
				run = lr
			}
		}
		if run == nil || len(run.runs) == 0 {
			t.Fatal("no row shows the message")
		}
		if got := run.runs[0]; got.TextSize != th.size || got.Color != th.fg {
			t.Errorf("the row's text is %v in %v, want %v in %v", got.TextSize, got.Color, th.size, th.fg)
		}
	}
	check(big)

	// Another theme for the list: Refresh must not keep the one it read.
	small := &textTheme{Theme: test.Theme(), size: appSize - 2, fg: color.NRGBA{B: 200, A: 255}}
	over.Theme = small
	over.Refresh()
	check(small)
}
