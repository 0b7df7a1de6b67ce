package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"parley/net/client"
	"parley/net/wire"
	"parley/ui/chatlog"
)

// searchPage is how many results one search asks for.
const searchPage = 30

// search is the Ctrl+F dialog: a query, the server's results newest
// first with their time and sender, and "Older results" while the server
// has more. Choosing a result closes it and shows the message in its
// context (session.context). It belongs to the UI goroutine.
type search struct {
	u      *UI
	s      *session
	query  *formEntry
	list   *widget.List
	status *widget.Label
	older  *widget.Button
	dlg    dialog.Dialog

	q    string     // the query the results answer
	ref  string     // the Search request in flight, "" none
	hits []wire.Msg // newest first
	more bool
}

// showSearch opens the search dialog, or says why the chat cannot be
// searched.
func (u *UI) showSearch() {
	s := u.sess
	switch {
	case s == nil:
		u.inform("Search", "You are not in a chat. Connect (Ctrl+K) or host one first.", nil)
		return
	case s.plain:
		u.inform("Search", "This server cannot search its history: it is a plain-text chat server.", nil)
		return
	case !s.scroll.search:
		u.inform("Search", "This server cannot search its history: it keeps no searchable history.", nil)
		return
	}
	f := &search{u: u, s: s}
	f.query = newFormEntry()
	f.query.SetPlaceHolder("Words to find")
	f.query.OnSubmitted = func(string) { f.run(0) }
	f.status = widget.NewLabel("Type words and press Enter. Every word must appear, as the start of a word.")
	f.status.Wrapping = fyne.TextWrapWord
	f.list = widget.NewList(func() int { return len(f.hits) },
		func() fyne.CanvasObject {
			when := widget.NewLabel("Mon 2 Jan 2006 15:04")
			who := widget.NewLabelWithStyle("nicknamenick", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			// The sender column keeps the width of a long nickname, so
			// that the texts line up.
			col := container.NewGridWrap(who.MinSize(), who)
			who.Truncation = fyne.TextTruncateEllipsis
			text := widget.NewLabel("")
			text.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, container.NewHBox(when, col), nil, text)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < 0 || id >= len(f.hits) {
				return
			}
			m := f.hits[id]
			c := o.(*fyne.Container)
			left := c.Objects[1].(*fyne.Container)
			left.Objects[0].(*widget.Label).SetText(time.UnixMilli(m.Time).Format("Mon 2 Jan 2006 15:04"))
			left.Objects[1].(*fyne.Container).Objects[0].(*widget.Label).SetText(m.From)
			c.Objects[0].(*widget.Label).SetText(oneLine(m.Text))
		})
	f.list.OnSelected = func(id widget.ListItemID) { f.choose(id) }
	f.older = widget.NewButton("Older results", func() {
		if len(f.hits) > 0 {
			f.run(f.hits[len(f.hits)-1].ID)
		}
	})
	f.older.Hide()
	top := container.NewBorder(nil, f.status, nil, widget.NewButton("Search", func() { f.run(0) }), f.query)
	body := container.NewBorder(top, f.older, nil, nil, f.list)
	f.dlg = dialog.NewCustom("Search the history", "Close", body, u.win)
	f.dlg.Resize(fyne.NewSize(min(u.win.Canvas().Size().Width*0.9, 760), min(u.win.Canvas().Size().Height*0.85, 520)))
	f.query.setOnEscape(f.dlg.Hide)
	u.searching = f
	u.showDialog(f.dlg, nil, f.dlg.Hide)
	f.dlg.SetOnClosed(func() {
		if u.searching == f {
			u.searching = nil
		}
	})
	u.win.Canvas().Focus(f.query)
}

// run asks the server for the query's results older than before (0: the
// newest).
func (f *search) run(before uint64) {
	q := f.query.Text
	if before != 0 {
		q = f.q
	}
	h, ok := f.s.hist()
	if !ok || f.u.sess != f.s {
		f.status.SetText("Not connected: the search waits for the connection.")
		return
	}
	if strings.TrimSpace(q) == "" {
		f.status.SetText("Type at least one word to search for.")
		return
	}
	ref, err := h.Search(q, before, searchPage)
	if err != nil {
		f.status.SetText("Cannot search: " + errText(err) + ".")
		return
	}
	f.ref, f.q = ref, q
	if before == 0 {
		f.hits = f.hits[:0]
		f.list.UnselectAll()
		f.list.Refresh()
	}
	f.status.SetText("Searching…")
}

// results shows an answer to the search in flight.
func (f *search) results(r client.Results) {
	if r.Ref != f.ref {
		return
	}
	f.ref = ""
	f.hits = append(f.hits, r.Msgs...)
	f.more = r.More
	f.list.Refresh()
	switch {
	case len(f.hits) == 0:
		f.status.SetText(fmt.Sprintf("Nothing found for “%s”.", f.q))
	case f.more:
		f.status.SetText(fmt.Sprintf("The newest %d messages with “%s”. Choose one to see it in its context.", len(f.hits), f.q))
	default:
		f.status.SetText(fmt.Sprintf("%s with “%s”. Choose one to see it in its context.", plural(len(f.hits), "message", "messages"), f.q))
	}
	if f.more {
		f.older.Show()
	} else {
		f.older.Hide()
	}
}

// failed shows why the server refused the search.
func (f *search) failed(ev client.Failed) {
	if ev.Ref != f.ref {
		return
	}
	f.ref = ""
	f.status.SetText("The server could not search: " + errText(ev.Err) + ".")
}

// choose closes the dialog and shows result id in its context.
func (f *search) choose(id widget.ListItemID) {
	if id < 0 || id >= len(f.hits) {
		return
	}
	msg := f.hits[id]
	f.dlg.Hide()
	f.s.context(msg.ID)
}

// oneLine is text on one line, for a result's row.
func oneLine(text string) string {
	out := []rune{}
	for _, r := range text {
		if r == '\n' || r == '\r' || r == '\t' {
			r = ' '
		}
		out = append(out, r)
		if len(out) > 300 {
			break
		}
	}
	return string(out)
}

// results applies a search answer.
func (s *session) results(r client.Results) {
	if f := s.u.searching; f != nil && f.s == s {
		f.results(r)
	}
}

// refused applies a Failed event for a History or Search request.
func (s *session) refused(ev client.Failed) {
	if ev.Ref == s.scroll.ref {
		s.scroll.ref, s.scroll.focus = "", 0
		s.u.msgs.setLoading(false)
		s.u.system(chatlog.KindError, "Could not load older messages: "+errText(ev.Err)+".")
		return
	}
	if f := s.u.searching; f != nil && f.s == s {
		f.failed(ev)
	}
}
