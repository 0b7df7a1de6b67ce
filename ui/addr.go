package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// addrEntry is the connect dialog's server field: an Entry with a small
// arrow that pops up a menu of recent servers. Fyne's SelectEntry does
// the same with a Button, which takes the keyboard focus, so that Tab
// after the address lands on the arrow and the nickname typed next goes
// nowhere. Here the arrow is only clickable; from the keyboard, Down
// opens the menu.
type addrEntry struct {
	formEntry

	recent []string
	// OnPick is called after a recent server was chosen from the menu.
	OnPick func(addr string)
	// menu is the open menu of recent servers, nil when none is open.
	menu *widget.PopUpMenu
}

var (
	_ fyne.Widget    = (*addrEntry)(nil)
	_ fyne.Focusable = (*addrEntry)(nil)
)

func newAddrEntry(recent []string) *addrEntry {
	e := &addrEntry{recent: recent}
	if len(recent) > 0 {
		e.ActionItem = newMenuArrow(e.showRecent)
	}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey opens the recent servers on Down, as a combo box does.
func (e *addrEntry) TypedKey(key *fyne.KeyEvent) {
	if key.Name == fyne.KeyDown && len(e.recent) > 0 && !e.Disabled() {
		e.showRecent()
		return
	}
	e.formEntry.TypedKey(key)
}

// showRecent pops up the recent servers under the field.
func (e *addrEntry) showRecent() {
	c := fyne.CurrentApp().Driver().CanvasForObject(e)
	if c == nil || len(e.recent) == 0 {
		return
	}
	items := make([]*fyne.MenuItem, len(e.recent))
	for i, addr := range e.recent {
		items[i] = fyne.NewMenuItem(addr, func() {
			e.menu = nil
			e.SetText(addr)
			e.CursorColumn = len([]rune(addr))
			if e.OnPick != nil {
				e.OnPick(addr)
			} else {
				c.Focus(e)
			}
		})
	}
	m := widget.NewPopUpMenu(fyne.NewMenu("", items...), c)
	m.OnDismiss = func() {
		m.Hide()
		if e.menu == m {
			e.menu = nil
			c.Focus(e) // back to typing where the user was
		}
	}
	e.menu = m
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(e)
	m.ShowAtPosition(pos.Add(fyne.NewPos(0, e.Size().Height)))
	m.Resize(fyne.NewSize(e.Size().Width, m.MinSize().Height))
}

// menuArrow is a drop-down arrow that can be clicked but not focused, so
// that it is no stop on the way Tab takes through a form.
type menuArrow struct {
	widget.BaseWidget
	onTap func()
	icon  *widget.Icon
}

var (
	_ fyne.Tappable      = (*menuArrow)(nil)
	_ desktop.Cursorable = (*menuArrow)(nil)
)

func newMenuArrow(onTap func()) *menuArrow {
	a := &menuArrow{onTap: onTap, icon: widget.NewIcon(theme.MenuDropDownIcon())}
	a.ExtendBaseWidget(a)
	return a
}

// Tapped opens the menu.
func (a *menuArrow) Tapped(*fyne.PointEvent) { a.onTap() }

// Cursor is the pointer, not the entry's text cursor.
func (a *menuArrow) Cursor() desktop.Cursor { return desktop.PointerCursor }

// CreateRenderer implements fyne.Widget.
func (a *menuArrow) CreateRenderer() fyne.WidgetRenderer {
	return &menuArrowRenderer{WidgetRenderer: widget.NewSimpleRenderer(a.icon), a: a}
}

type menuArrowRenderer struct {
	fyne.WidgetRenderer
	a *menuArrow
}

// Layout centres the icon in the space the entry gives the arrow.
func (r *menuArrowRenderer) Layout(size fyne.Size) {
	s := r.a.Theme().Size(theme.SizeNameInlineIcon)
	r.a.icon.Resize(fyne.NewSquareSize(s))
	r.a.icon.Move(fyne.NewPos((size.Width-s)/2, (size.Height-s)/2))
}

// MinSize is an inline icon with padding, as the entry's own actions.
func (r *menuArrowRenderer) MinSize() fyne.Size {
	th := r.a.Theme()
	return fyne.NewSquareSize(th.Size(theme.SizeNameInlineIcon) + 2*th.Size(theme.SizeNameInnerPadding))
}
