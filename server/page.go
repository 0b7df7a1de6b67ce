package server

import (
	"html"
	"net/http"
	"strings"
)

// servePage answers HTTP requests that are not WebSocket upgrades: "/"
// gets a page that says what this server is and carries a small plain-mode
// chat, so that a browser pointed at the address is not left guessing.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/":
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy",
			"default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		page := strings.NewReplacer(
			"{{room}}", html.EscapeString(s.cfg.Room),
			"{{software}}", html.EscapeString(s.software),
		).Replace(pageHTML)
		w.Write([]byte(page))
	case "/parley.js":
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write([]byte(pageJS))
	case "/ws":
		h.Set("Upgrade", "websocket")
		http.Error(w, "This is a Parley chat server: connect with a WebSocket client.", http.StatusUpgradeRequired)
	default:
		http.NotFound(w, r)
	}
}

const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{room}} — Parley</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
#log { border: 1px solid #8884; border-radius: 4px; height: 50vh; overflow-y: auto; padding: .5rem; white-space: pre-wrap; }
#log .notice { opacity: .7; font-style: italic; }
form { display: flex; gap: .5rem; margin-top: .5rem; }
#text { flex: 1; font: inherit; padding: .3rem; }
</style>
</head>
<body>
<h1>{{room}}</h1>
<p>This is a <strong>Parley</strong> chat server ({{software}}). Join with the Parley app
(connect to this address), with any WebSocket client (plain text: every line you send goes to
everyone), or right here.</p>
<div id="log" aria-live="polite"></div>
<form id="send"><input id="text" autocomplete="off" placeholder="Type a message, or /help" aria-label="Message"><button>Send</button></form>
<noscript><p>The chat on this page needs JavaScript.</p></noscript>
<script src="/parley.js"></script>
</body>
</html>
`

const pageJS = `"use strict";
(function () {
  var log = document.getElementById("log");
  var text = document.getElementById("text");
  function show(line, cls) {
    var div = document.createElement("div");
    div.textContent = line;
    if (cls) div.className = cls;
    var atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.appendChild(div);
    while (log.childNodes.length > 2000) log.removeChild(log.firstChild);
    if (atEnd) log.scrollTop = log.scrollHeight;
  }
  var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/");
  ws.onmessage = function (e) {
    if (typeof e.data === "string") show(e.data, e.data.indexOf("* ") === 0 ? "notice" : "");
  };
  ws.onclose = function (e) { show("* disconnected (" + e.code + (e.reason ? ": " + e.reason : "") + ")", "notice"); };
  document.getElementById("send").onsubmit = function (e) {
    e.preventDefault();
    if (text.value && ws.readyState === WebSocket.OPEN) ws.send(text.value);
    text.value = "";
  };
})();
`
