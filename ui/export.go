package ui

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"parley/ui/chatlog"
)

// Export writes the chat log the window holds (at most its cap: scroll
// back first to include older messages) to a file the user picks, as
// plain text or, for a name ending in .html or .htm, as a web page.

// showExport opens the save dialog.
func (u *UI) showExport() {
	if u.msgs.entries.Len() == 0 {
		u.inform("Export", "There is nothing to export yet.", nil)
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			u.inform("Export", "The chat could not be exported: "+err.Error()+".", nil)
			return
		}
		if w == nil {
			return // cancelled
		}
		if err := u.exportTo(w, w.URI().Name()); err != nil {
			u.inform("Export", "The chat could not be exported: "+err.Error()+".", nil)
			return
		}
		done := fmt.Sprintf("Exported %s to %s.", plural(u.msgs.entries.Len(), "line", "lines"), w.URI().Path())
		if u.msgs.cut {
			u.inform("Export", done, nil) // a cut list shows no new lines
			return
		}
		u.system(chatlog.KindInfo, done)
		u.msgs.flush()
	}, u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".txt", ".html", ".htm"}))
	d.SetFileName(exportName(u.roomName(), u.now()))
	d.Resize(fyne.NewSize(min(u.win.Canvas().Size().Width*0.9, 800), min(u.win.Canvas().Size().Height*0.9, 600)))
	d.Show()
}

// roomName is the current chat's room, or "chat".
func (u *UI) roomName() string {
	if u.sess != nil {
		return u.sess.room()
	}
	return "chat"
}

// exportName is the file name the save dialog suggests.
func exportName(room string, now time.Time) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '-'
		}
		return r
	}, room)
	return fmt.Sprintf("%s %s.txt", name, now.Format("2006-01-02"))
}

// exportTo writes the log to w, as HTML if name says so, and closes w.
func (u *UI) exportTo(w io.WriteCloser, name string) error {
	lower := strings.ToLower(name)
	var err error
	if strings.HasSuffix(lower, ".html") || strings.HasSuffix(lower, ".htm") {
		err = writeHTML(w, u.msgs.entries, u.roomName())
	} else {
		err = writeText(w, u.msgs.entries)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// exportWho is an entry's sender column in an export.
func exportWho(e *chatlog.Entry) string {
	switch {
	case e.Kind == chatlog.KindChat && e.State == chatlog.Pending:
		return e.From + " (not sent yet)"
	case e.Kind == chatlog.KindChat && e.State == chatlog.Failed:
		return e.From + " (not sent)"
	case e.Kind == chatlog.KindChat:
		return e.From
	case e.Kind == chatlog.KindEvent:
		return "*"
	}
	return "--"
}

// writeText writes the log as text: "2006-01-02 15:04  nick: text", the
// further lines of a message indented.
func writeText(w io.Writer, l *chatlog.Log) error {
	b := bufio.NewWriter(w)
	eachEntry(l, func(e *chatlog.Entry, when string) {
		sep := ": "
		if e.Kind != chatlog.KindChat {
			sep = " "
		}
		text := strings.ReplaceAll(e.Text, "\n", "\n                  ")
		fmt.Fprintf(b, "%s  %s%s%s\n", when, exportWho(e), sep, text)
	})
	if err := b.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// eachEntry calls f with every entry of l, oldest first, and its time.
func eachEntry(l *chatlog.Log, f func(e *chatlog.Entry, when string)) {
	for i := 0; i < l.Len(); i++ {
		e := l.At(i)
		f(e, time.UnixMilli(e.Time).Format("2006-01-02 15:04"))
	}
}

// writeHTML writes the log as a web page of its own (no scripts, no
// outside resources), every text escaped and links made links.
func writeHTML(w io.Writer, l *chatlog.Log, room string) error {
	b := bufio.NewWriter(w)
	title := html.EscapeString(room)
	fmt.Fprintf(b, `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>%s</title>
<style>body{font-family:sans-serif;max-width:60em;margin:1em auto}
table{border-collapse:collapse}td{vertical-align:top;padding:.1em .5em}
.when{color:#777;white-space:nowrap}.who{font-weight:bold;text-align:right}
.system{color:#777;font-style:italic}.text{white-space:pre-wrap}</style>
</head><body><h1>%s</h1><table>
`, title, title)
	eachEntry(l, func(e *chatlog.Entry, when string) {
		class := "text"
		if e.Kind != chatlog.KindChat {
			class = "text system"
		}
		fmt.Fprintf(b, "<tr><td class=\"when\">%s</td><td class=\"who\">%s</td><td class=\"%s\">%s</td></tr>\n",
			when, html.EscapeString(exportWho(e)), class, linkHTML(e.Text))
	})
	b.WriteString("</table></body></html>\n")
	if err := b.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// linkHTML escapes text, making its http and https links anchors.
func linkHTML(text string) string {
	var out strings.Builder
	at := 0
	for _, sp := range chatlog.FindLinks(text) {
		link := text[sp.Start:sp.End]
		out.WriteString(html.EscapeString(text[at:sp.Start]))
		lower := strings.ToLower(link)
		if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
			fmt.Fprintf(&out, `<a href="%s">%s</a>`, html.EscapeString(link), html.EscapeString(link))
		} else {
			out.WriteString(html.EscapeString(link))
		}
		at = sp.End
	}
	out.WriteString(html.EscapeString(text[at:]))
	return out.String()
}
