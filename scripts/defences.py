#!/usr/bin/env python3
"""Check that each security and fault test fails when its defence is removed.

For every defence below, this copies the repository's tracked files into a
temporary directory (once), and there:

  1. the control: runs the test with the defence in place, CONTROL_RUNS
     times; it must pass every time. A test that fails here proves nothing
     about its defence and is reported as FLAKY/BROKEN.
  2. removes the defence (one text replacement in one file), runs the test
     again and expects it to FAIL with output that matches the row's
     EXPECT, a regular expression for the assertion that proves the
     defence. A failure that does not match is reported as WRONG FAILURE,
     a pass as PASSED.

Tests run as `make test` runs them: with the race detector, LANG set to
UTF-8, -count=1 (never from the cache) and a timeout; each row runs only
its own test (-run). The script prints a Markdown table of (case, test,
defence removed, control, failure seen), the table of docs/SECURITY.md,
and exits non-zero unless every row is confirmed. The working tree is
never touched.

A replacement whose text is no longer in the code is reported as STALE: the
code moved on and the list below must follow it. A row without its EXPECT
(7 fields instead of 8) is an error.

    scripts/defences.py            every defence
    scripts/defences.py origin     only those whose case contains "origin"
    scripts/defences.py --check    only check each row's code is still there, once (make test)

gorilla/websocket's frame checks live in the module cache; the copy gets a
writable copy of the module and a replace directive for that case.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (case, test, package, file, old, new, what is removed, EXPECT)
#
# EXPECT is a Python regular expression (re.search over the test's output)
# for the failure that proves the defence: the assertion's own message,
# never a word like FAIL that any failure prints.
DEFENCES = [
    ("oversized message", "TestSecOversized", "./server", "server/read.go",
     "p.ws.SetReadLimit(int64(p.s.cfg.MaxFrame))", "p.ws.SetReadLimit(0)",
     "no read limit (SetReadLimit(0))",
     r'still connected after|want 1009'),
    ("invalid UTF-8", "TestSecInvalidUTF8", "./server", "server/handle.go",
     "if !utf8.Valid(data) {", "if false {",
     "the UTF-8 check before handling",
     r'still connected after|want 1007'),
    ("binary frame, plain", "TestSecBinaryFrames", "./server", "server/handle.go",
     "\t\tif !p.rich {\n\t\t\tp.end(endBinary)", "\t\tif false {\n\t\t\tp.end(endBinary)",
     "the 1003 close of a plain client's binary frame",
     r'a plain client: still connected after|want 1003'),
    ("binary frame, rich", "TestSecBinaryFrames", "./server", "server/handle.go",
     "case wire.CodeBadRequest, wire.CodeUnsupported, wire.CodeNotJoined:",
     "case wire.CodeBadRequest, wire.CodeNotJoined:",
     "unsupported frames no longer count as bad",
     r'binary\d+: still connected after|ten binary frames: .*want 9 then bye policy'),
    ("malformed JSON", "TestSecMalformedJSON", "./server", "server/handle.go",
     "if p.bad >= maxBadFrames {", "if false {",
     "the close after ten bad frames in a row",
     r'garbler\d+: still connected after|ten bad frames: .*want 9 errors and bye policy'),
    ("protocol violations", "TestSecProtocolViolations", "./server", "gorilla/conn.go",
     "if len(errors) > 0 {\n\t\treturn noFrame, c.handleProtocolError",
     "if false {\n\t\treturn noFrame, c.handleProtocolError",
     "gorilla's frame header checks (RSV, opcode, mask, control frames, fragments)",
     r'closed with \d+ .*want 1002'),
    ("sanitising: text", "TestSecSanitise", "./server", "net/wire/text.go",
     "if isClean(s) {", "if true {",
     "CleanText only trims",
     r'witness got "SAN1 \\x1b\[2J'),
    ("sanitising: line breaks", "TestSecSanitise", "./server", "net/wire/text.go",
     "\t\tcase lineBreak(r):\n\t\t\t// Browsers and some terminals start a new line here: make it\n"
     "\t\t\t// one that PlainLine indents, not a line of its own.\n\t\t\tb.WriteByte('\\n')\n",
     "",
     "U+2028, U+2029 and NEL are not turned into LF",
     r'witness got "SAN[789] hi\\u(2028|2029|0085)bob'),
    ("sanitising: forged lines", "TestSecSanitise", "./server", "net/wire/text.go",
     'strings.ReplaceAll(text, "\\n", "\\n"+indent)', 'strings.ReplaceAll(text, "\\n", "\\n"+indent[:0])',
     "PlainLine does not indent continuation lines",
     r'plain witness got "mallory: SAN\d+ hi\\nbob: forged"'),
    ("sanitising: nicknames", "TestSecSanitise", "./server", "net/wire/text.go",
     '\t\tdefault:\n\t\t\treturn "", ErrNickChars', "\t\tdefault:",
     "CheckNick accepts any character",
     r'want error nick_invalid|not refused as nick_invalid|plain /nick .*: not refused'),
    ("rate limit: burst", "TestSecRateLimit", "./server", "server/handle.go",
     "if s.cfg.Rate <= 0 {", "if true {",
     "the token bucket",
     r'a burst of \d+: \d+ sent, 0 rate limited'),
    ("rate limit: flood", "TestSecRateLimit", "./server", "server/handle.go",
     "if ok, _ := p.strikes.take(s.strikeRule, now); !ok {", "if ok, _ := p.strikes.take(s.strikeRule, now); false && !ok {",
     "the disconnect once the strikes run out",
     r'flooder\d+: still connected after|want bye policy and flooding|plain flood: \d+ slow-downs'),
    ("slowloris: HTTP", "TestSecSlowloris", "./server", "server/accept.go",
     "c.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))", "c.SetDeadline(time.Time{})",
     "the handshake deadline of Serve's accept loop",
     r'half-open connections were not closed in time'),
    ("slowloris: hello", "TestSecSlowloris", "./server", "server/state.go",
     "p.helloWait = time.AfterFunc(d, func() { p.s.helloTimedOut(p) })",
     "p.helloWait = time.AfterFunc(time.Hour, func() { p.s.helloTimedOut(p) })",
     "the hello timeout",
     r'upgraded connection \d+ closed with \d+ .*want 1008'),
    ("connection limit: total", "TestSecConnLimits", "./server", "server/conns.go",
     "case s.cfg.MaxConns > 0 && len(s.conns)+s.pending >= s.cfg.MaxConns:", "case false:",
     "MaxConns",
     r'HTTP 101 .*want 503'),
    ("connection limit: per IP", "TestSecConnLimits", "./server", "server/conns.go",
     "case ipKey != \"\" && s.cfg.MaxConnsPerIP > 0 && s.perIP[ipKey] >= s.cfg.MaxConnsPerIP:", "case false:",
     "MaxConnsPerIP",
     r'HTTP 101 .*want 429'),
    ("connection limit: loopback", "TestSecConnLimits", "./server", "server/conns.go",
     "if ip.IsLoopback() && !s.cfg.LimitLoopback {", "if ip.IsLoopback() {",
     "LimitLoopback (loopback always exempt)",
     r'a connection from 127\.0\.0\.1: HTTP 101 .*want 429'),
    ("dead peer", "TestSecDeadPeer", "./server", "server/read.go",
     "d := mono() + int64(p.s.cfg.PongTimeout)", "d := mono() + int64(1000*time.Hour)",
     "the read deadline that pongs extend",
     r'\S+ never left'),
    ("stuck client", "TestSecStuckClient", "./server", "server/queue.go",
     "over := len(p.q) >= cfg.QueueFrames || backlog+len(f) > cfg.QueueBytes",
     "over := false",
     "the bound on each client's queue",
     r'the stuck client was not dropped after \d+ messages'),
    ("origin: cross-origin", "TestSecOriginPolicy", "./server", "server/server.go",
     "CheckOrigin:       s.checkOrigin,", "CheckOrigin:       func(*http.Request) bool { return true },",
     "the origin check",
     r'origin "http://evil\.example" to \S+: HTTP 101 .*want 403'),
    ("origin: same origin", "TestSecOriginPolicy", "./server", "server/limits.go",
     "sameHost := err == nil && u.Host != \"\" && strings.EqualFold(u.Host, r.Host)", "sameHost := false",
     "the same-origin rule",
     r'HTTP 403 .*want 101'),
    ("server killed: resend", "TestFaultServerKilled", "./server", "net/client/conn.go",
     "if x.sentGen != cn.gen {", "if x.sentGen == 0 {",
     "the client resending what a lost connection never confirmed",
     r'saw "alice \d+" 0 times'),
    ("server killed: reconnect", "TestFaultServerKilled", "./server", "net/client/conn.go",
     "if errors.Is(err, ErrEnded) || errors.Is(err, ErrReplaced) || errors.Is(err, ErrKicked) || errors.Is(err, ErrBanned) {", "if true {",
     "the client's reconnect",
     r'no reconnect to the new server|: Send \d+: '),
    ("server killed: exactly once", "TestFaultServerKilled", "./server", "net/client/recent.go",
     "return first != epoch", "return first == \"\\x00never\"",
     "the client dropping a message seen before a restart",
     r'saw "alice \d+" [2-9] times'),
    ("host ended: told", "TestFaultHostEnded", "./server", "server/server.go",
     "rich:  mustJSONFrame(wire.Bye{Reason: reason, Text: text}),",
     "rich:  mustJSONFrame(wire.Bye{Reason: wire.ByeShutdown, Text: text}),",
     "the bye reason the host gave (always shutdown)",
     r'Disconnected = .*want ErrEnded, bye ended, no retry'),
    ("host ended: no spin", "TestFaultHostEnded", "./server", "net/client/conn.go",
     "if errors.Is(err, ErrEnded) || errors.Is(err, ErrReplaced) || errors.Is(err, ErrKicked) || errors.Is(err, ErrBanned) {", "if errors.Is(err, ErrReplaced) || errors.Is(err, ErrKicked) || errors.Is(err, ErrBanned) {",
     "the client's stop on bye ended",
     r'Disconnected = .*want ErrEnded, bye ended, no retry|dialed \d+ times; after the end it must not dial again'),
    ("client vanishes", "TestFaultClientVanishes", "./server", "server/read.go",
     "d := mono() + int64(p.s.cfg.PongTimeout)", "d := mono() + int64(1000*time.Hour)",
     "the read deadline that pongs extend",
     r'carol\'s leave: .*want reason timeout|carol left .* after her link fell silent'),
    ("duplicate beyond the backlog", "TestDuplicateBeyondBacklog", "./server", "server/history.go",
     "\tp.enqueue(mustJSONFrame(wire.Error{Code: wire.CodeDuplicate, CID: cid, ID: id,",
     "\treturn // removed\n\tp.enqueue(mustJSONFrame(wire.Error{Code: wire.CodeDuplicate, CID: cid, ID: id,",
     "the server's duplicate answer",
     r'alice: read: .*timeout|want duplicate of id \d+'),
    ("duplicate beyond the backlog (client)", "TestRichDuplicateBeyondBacklog", "./net/client",
     "net/client/rich.go", "case wire.CodeDuplicate:", "case \"no such code\":",
     "the client taking duplicate as delivered",
     r'no client\.Message event after \d+ events'),
    ("oversized message, default settings", "TestDefaultFrameLimit", "./server", "server/config.go",
     "\tpositive(&c.MaxFrame, wire.DefaultMaxFrame)\n", "",
     "the default read limit (Config{} reads messages of any size)",
     r'raw connection closed with \d+ .*want 1009|raw connection: after close code 0|closed with \d+ .*want 1009|still connected after'),
    ("queue bound: frames alone", "TestQueueBoundsAlone", "./server", "server/queue.go",
     "over := len(p.q) >= cfg.QueueFrames || backlog+len(f) > cfg.QueueBytes",
     "over := backlog+len(f) > cfg.QueueBytes",
     "the bound on each client's queued frames (QueueFrames)",
     r'the stuck client was not dropped by the frame bound'),
    ("queue bound: bytes alone", "TestQueueBoundsAlone", "./server", "server/queue.go",
     "over := len(p.q) >= cfg.QueueFrames || backlog+len(f) > cfg.QueueBytes",
     "over := len(p.q) >= cfg.QueueFrames",
     "the bound on each client's queued bytes (QueueBytes)",
     r'the stuck client was not dropped by the byte bound'),
    ("client backoff: no spin", "TestBackoffResetAfterStable", "./net/client", "net/client/conn.go",
     "if time.Since(start) >= c.cfg.stableAfter {", "if time.Since(start) >= 0 {",
     "the growing backoff after short connections (it starts over after every drop)",
     r'after a connection of under \S+ the backoff started over'),
    # Rows from the other issue-9..13 work, in 8 fields.
    ("slowloris: one head deadline", "TestHeadDeadline", "./server", "server/accept.go",
     ", errors.Is(rec.err, os.ErrDeadlineExceeded):", ", false && errors.Is(rec.err, os.ErrDeadlineExceeded):",
     "the close of a head cut short by its deadline (handed to net/http instead)",
     r"half a request line: closed after [\d.]+s, want 1s"),
    ("upgrade rules: Serve's path", "TestUpgradeRules", "./server", "server/accept.go",
     "status != http.StatusSwitchingProtocols || r.URL.Host != \"\"", "status == 0",
     "the fast path's use of the shared upgrade rules",
     r"Serve, no Host: HTTP 101 .*, want 400"),
    ("upgrade rules: Host", "TestUpgradeRules", "./server", "server/upgrade.go",
     "case !validHost(r.Host):", "case false:",
     "the Host rule of WebSocket handshakes",
     r"ServeHTTP, empty Host: HTTP 101 .*, want 400"),
    ("upgrade rules: HTTP/1.0", "TestUpgradeRules", "./server", "server/upgrade.go",
     "case r.ProtoMinor < 1:", "case false:",
     "HTTP/1.0's Upgrade header ignored",
     r"HTTP/1\.0: the page: HTTP 101 .*, want 200"),
    ("1-byte close", "TestShortClose", "./server", "server/closecheck.go",
     "return errShortClose", "return nil",
     "the check of a close frame's 1-byte payload",
     r"raw connection closed with 1005 \"\", want 1002"),
    ("every connection counted: refused", "TestEveryConnCounted", "./server", "server/accept.go",
     "if status != 0 {\n\t\ts.refuseConn(c, status, why)", "if false {\n\t\ts.refuseConn(c, status, why)",
     "the refusal at accept of a connection over a limit",
     r"HTTP 200 \(Retry-After \"\"\), want (429|503)"),
    ("every connection counted: released", "TestEveryConnCounted", "./server", "server/handoff.go",
     "ok && st == http.StateClosed {\n\t\trc.release(s)", "ok && st == http.StateClosed {\n\t\t_ = rc",
     "the HTTP server's release of a handed-over connection's place",
     r"timed out (after \S+ )?waiting for 0 connections counted from 0 addresses"),
    ("nicknames: NFKC", "TestNickNormalised", "./server", "net/nickname/nickname.go",
     "\ts = norm.NFKC.String(s)\n", "\t_ = norm.NFKC\n",
     "nicknames are not normalised to NFKC",
     r'given as "Jose\\u0301" \(refusal "" ""\), want "Jos\\u00e9"'),
    ("nicknames: invisible code points", "TestNickInvisible", "./server", "net/nickname/nickname.go",
     "\t\tif invisible(r) {", "\t\tif false {",
     "default-ignorable code points and variation selectors are accepted",
     r'"alice\\u034f": got "alice\\u034f", refusal "" ""; want refusal nick_invalid '
     r'"nickname may not contain invisible characters: U\+034F"'),
    ("nicknames: confusables", "TestNickLookalikes", "./server", "net/nickname/nickname.go",
     "\treturn confusables.Skeleton(s)\n", "\t_ = confusables.Skeleton\n\treturn norm.NFD.String(s)\n",
     "the confusables table: a skeleton is only NFD",
     r'"\\u0430lice" next to "alice": got "\\u0430lice", refusal "" ""; want refusal nick_taken '
     r'"\u0430lice looks like alice, who is here"'),
    ("nicknames: skeletons as shown", "TestNickLookalikes", "./server", "server/nick.go",
     "\tif q := s.skels[skel]; q != nil && q != self {", "\tif q := s.skels[skel]; false && q != self {",
     "the room compares folds only, not case-sensitive skeletons",
     r'"aIice" next to "alice": got "aIice", refusal "" ""; want refusal nick_taken "aIice looks like alice, who is here"'),
    ("nicknames: guest-N", "TestNickReserved", "./server", "net/nickname/nickname.go",
     "\tif Reserved(s) {", "\tif false {",
     "clients may take guest-N",
     r'"guest-7": got "guest-7", refusal "" ""; want refusal nick_invalid '
     r'"nicknames like guest-N are kept for the server to give plain clients"'),
    ("nicknames: both keys on rename", "TestNickLookalikeOfAnother", "./server", "server/nick.go",
     "\tif q := s.nicks[fold]; q != nil && q != self {\n\t\treturn q\n\t}\n",
     "\tif q := s.nicks[fold]; q != nil {\n\t\tif q == self {\n\t\t\treturn nil\n\t\t}\n\t\treturn q\n\t}\n",
     "a peer holding the fold skips the skeleton check",
     r'renaming herself ALICE next to ALlCE: got wire\.Rename\{.*\}, want error nick_taken "ALICE looks like ALlCE, who is here"'),
    ("TLS: pin check", "TestPinnedRefusesMITM", "./net/client", "net/client/tls.go",
     "if !want.IsZero() && *got != want {", "if false && !want.IsZero() && *got != want {",
     "the client's pin check (it accepts any certificate)",
     r"error = <nil>; want a \*client\.PinMismatchError"),
    ("TLS: no fallback", "TestFingerprintNeverFallsBack", "./net/client", "net/client/tls.go",
     "if want, _ := s.pinned(); s.tlsOnly || !want.IsZero() {",
     "if want, _ := s.pinned(); false && (s.tlsOnly || !want.IsZero()) {",
     "TLS only with a fingerprint or a pin (a plain dial is tried)",
     r"joined a plain-only server \(encrypted false\)"),
    ("TLS: plain refused", "TestTLSRefusesPlain", "./server", "server/tls.go",
     "case s.cfg.TLS != nil && !s.cfg.AllowPlain:", "case false:",
     "the refusal of plain connections on a TLS-only port",
     r"plain GET on a TLS port = 200"),
    ("TLS: key change warning", "TestPinWarning", "./ui", "ui/pin.go",
     "if !errors.As(err, &pm) {", "if true || !errors.As(err, &pm) {",
     "the window's warning on a changed key",
     r"timed out (after \S+ )?waiting for the warning"),
    ("announcement flood", "TestLimiterCoalesces", "./net/discovery", "net/discovery/announce.go",
     "if n == l.announced || now.Sub(l.last) < l.interval {", "if n == l.announced {",
     "the interval between TXT updates of the people count",
     r"(first update at|updates \d+ and \d+ only) .* want at least"),
    ("history: stored before broadcast", "TestGroupCommit", "./server", "server/commit.go",
     "\tvar err error\n\tif pl, ok := s.store.(pipeline); ok {",
     "\ts.mu.Lock()\n\tfor _, e := range group {\n\t\ts.publishLocked(e.entry.Msg)\n\t}\n\ts.mu.Unlock()\n"
     "\tgroup = nil // published before it is stored: nothing left to publish after\n"
     "\tvar err error\n\tif pl, ok := s.store.(pipeline); ok {",
     "the commit before the broadcast (messages go out, then to disk)",
     r"published before it was stored"),
    ("history: search syntax", "TestPagesAndSearch", "./server/store", "server/store/read.go",
     "\t\tb.String(), clampID(before), limit)", "\t\tq, clampID(before), limit)",
     "the quoting of search words (the query goes to FTS5 as typed)",
     r"Search = \[\], <nil>; want \[50 40 30\]|syntax error"),
    ("history: future schema", "TestFutureSchemaRefused", "./server/store", "server/store/open.go",
     "\tif version > len(migrations) {", "\tif false {",
     "the refusal of a database from a newer version",
     r"want ErrFutureSchema"),
    ("history: one server per folder", "TestSecondServerRefused", "./server/store", "server/store/lock_unix.go",
     "syscall.LOCK_EX|syscall.LOCK_NB", "syscall.LOCK_SH|syscall.LOCK_NB",
     "the data folder's exclusive lock",
     r"want ErrInUse"),
    ("history: sessions across a restart", "TestRestartKeepsIdentity", "./server", "server/room.go",
     "\t\tss = s.adoptLocked(h.Session) // a session from before a restart",
     "\t\tss = nil",
     "taking up a session restored from the store",
     r"resume after restart"),
    ("history: unavailable kept and retried (client)", "TestUnavailableIsRetried", "./net/client",
     "net/client/rich.go", "case wire.CodeRateLimited, wire.CodeUnavailable:", "case wire.CodeRateLimited:",
     "the client keeping a message the server could not store",
     r"after the refusal: pending \[\]|no client.Message event"),
    # The lead's issue-9 defences.
    ("ghost: cut while parking", "TestCutWhileParkingLeavesNoGhost", "./server", "server/park_linux.go",
     "\tif !ran {", "\tif false && !ran {", "park reports a peer parked when Control ran nothing", r"ghost: cut while parking"),
    ("rate limit before decoding", "TestRateLimitBeforeDecoding", "./server", "server/handle.go",
     "\tif !s.allow(p, data) {\n\t\treturn\n\t}\n\tif typ == websocket.BinaryMessage {", "\tif typ == websocket.BinaryMessage {",
     "the rate limit before decoding", r"answers \[.*\], want \["),
    ("bad frames among good", "TestBadFramesAmongGood", "./server", "server/handle.go",
     "\tif p.bad > 0 {\n\t\tp.bad--", "\tif p.bad > 0 {\n\t\tp.bad = 0", "a good frame resets the bad-frame count", r"connection ended without a close frame"),
    ("control-frame flood", "TestSecInputFloods", "./server", "server/meter.go",
     "if ok, _ := m.ctl.take(controlRule, time.Now()); !ok {", "if ok, _ := m.ctl.take(controlRule, time.Now()); !ok && false {",
     "the control-frame budget", r"pongs: closed with 1001"),
    ("empty fragments", "TestSecInputFloods", "./server", "server/meter.go",
     "if m.frags > maxFragments {", "if false {", "the fragments-per-message bound", r"empty fragments: closed with 1001"),
    ("welcome history cap", "TestWelcomeHistoryCap", "./server", "server/backlog.go",
     "size += msgCost(m)", "size += 64 + len(m.Text)", "history budget in encoded bytes", r"over the cap of 524288"),
    ("overload: senders held", "TestOverloadSlowsSenders", "./server", "server/read.go",
     "\t\tif p.s.congestion.holding.Load() {", "\t\tif false && p.s.congestion.holding.Load() {",
     "the hold on senders while a congested client drains",
     r"send \d+: websocket: close sent|readers that kept reading were dropped|reader \d+ after \d+ messages"),
    ("output budget", "TestSecQueuedOutputBound", "./server", "server/queue.go",
     "if !over && cfg.MaxQueuedBytes > 0 && s.queued.Load()", "if false && !over && cfg.MaxQueuedBytes > 0 && s.queued.Load()",
     "the bound on output queued to all clients",
     r"the server queued \d+ bytes at its peak, over twice the bound"),
    ("window: HTML export escaped", "TestExportChat", "./ui", "ui/export.go",
     "out.WriteString(html.EscapeString(text[at:]))", "out.WriteString(text[at:])",
     "HTML escaping of message text in the exported page", r"HTML export lacks \"hello &lt;b&gt;"),
    ("window: scrollback within the cap", "TestScrollBackBeyondBacklog", "./ui", "ui/chatlog/log.go",
     "\tfor l.entries.len() > l.max {", "\tfor false && l.entries.len() > l.max {",
     "dropping the newest entries when an older page would overflow the window's cap", r"the log holds \d+ entries, over its cap of 40"),
    ("window: older page keeps the view", "TestScrollBackBeyondBacklog", "./ui", "ui/scrollback.go",
     "offset += float32(added-m.dropped) * m.pitch()", "offset += float32(0*added-m.dropped) * m.pitch()",
     "moving the scroll offset by the lines an older page adds", r"the view jumped|scrolled to the top with message \d+ the oldest, but nothing is loading"),
    ("window: hosted history folder read-only", "TestHostHistoryTrouble", "./ui", "ui/hosthistory.go",
     "\tif db.ReadOnly() {", "\tif false && db.ReadOnly() {",
     "refusing a history folder that cannot be written (the hosted chat would refuse every message) and asking first",
     r"hosting started without asking"),
    ("password: guesses per address", "TestPasswordGuessesPerAddress", "./server", "server/password.go",
     "\ts := remote.String()\n\thost, _, err := net.SplitHostPort(s)", "\ts := remote.String()\n\treturn s\n\thost, _, err := net.SplitHostPort(s)",
     "counting wrong passwords per address (counted per connection instead)",
     r"guess 3 of 3: \{Code:password_wrong Text:wrong password; 2 more tries"),
    ("password: lock-out on a held challenge", "TestPasswordParallelGuesses", "./server", "server/password.go",
     "\tif now.Before(c.until) {\n\t\treturn 0, c.until.Sub(now), false", "\tif false && now.Before(c.until) {\n\t\treturn 0, c.until.Sub(now), false",
     "the lock-out check when an answer arrives",
     r"guess 4 of 5, each on its own connection: .*want locked_out"),
    ("password: plain client kept out", "TestPasswordPlain", "./server", "server/conns.go",
     "\t\t\tp.enqueue(passNotice(p))\n", "\t\t\tp.enqueue(passNotice(p))\n\t\t\ts.joinPlainLocked(p)\n",
     "keeping a plain client out of the room until /pass",
     r'the right /pass: "alice: while you wait"'),
    ("password: rich client challenged", "TestPasswordRich", "./server", "server/handle.go",
     "\tif p.gated() {\n\t\ts.gateRich(p, f)", "\tif false {\n\t\ts.gateRich(p, f)",
     "the challenge before a rich client's welcome",
     r"alice: got wire\.Welcome\{.*\}, want a challenge"),
    ("password: never on the wire", "TestPasswordNeverSent", "./net/client", "net/client/password.go",
     "\tcnonce := password.Nonce()\n\tdata, err", "\tcnonce := append([]byte(c.cfg.Password), make([]byte, 32)...)[:32]\n\tdata, err",
     "a client nonce free of the password (the password leaks into it)",
     r"the client sent .*, which holds the password as"),
    ("password: bound to TLS", "TestPasswordBoundToTLS", "./net/client", "server/password.go",
     "if b, err := password.Binding(tc.ConnectionState()); err == nil {", "if b, err := password.Binding(tc.ConnectionState()); err == nil && false {",
     "the channel binding of the proofs to the server's TLS session",
     r"the man in the middle relayed the password's proof and got in"),
    # hist (issue 13, the durable path's speed): the sync taken out of the
    # commit and pipelined.
    ("history: synced before broadcast", "TestSyncBeforeBroadcast", "./server", "server/commit.go",
     "\t\t\terr = pl.Sync(context.Background())", "\t\t\terr = nil // not synced",
     "the sync of the log before a written group is broadcast",
     r"broadcast before a sync of it began|broadcast before its sync returned"),
    ("history: a failed sync refuses posts", "TestSyncFailure", "./server", "server/commit.go",
     "\tif syncErr != nil {\n\t\t// The store refuses", "\tif false {\n\t\t// The store refuses",
     "the refusal of posts after a failed sync",
     r"store written 3 times, want 2"),
    ("history: a failed sync is final", "TestSyncFailureIsFinal", "./server/store", "server/store/write.go",
     "\tif err != nil {\n\t\treturn err\n\t}\n\td.wmu.Lock()", "\t_ = err\n\td.wmu.Lock()",
     "Write's refusal after a failed sync",
     r"Write after a failed sync: <nil>, want ErrSync"),
    ("welcome first: a writer stops at a hold", "TestWelcomeFirstPastRunningFlusher", "./server", "server/state.go",
     "if len(p.q) > 0 && p.phase != phaseDead && p.flags&qHeld == 0 {", "if len(p.q) > 0 && p.phase != phaseDead {",
     "the hold on a running writer", r'written before the welcome'),
    ("private message to a look-alike", "TestPrivateReachesOnlyTheTwo", "./server", "server/moderation.go",
     "if q == nil || wire.FoldNick(q.nick) != want {", "if q == nil || want == \"\" {",
     "the exact-name check when looking up the addressee (a look-alike's fold matched)",
     r'want no_such_nick|a private message leaked'),
    ("private message to the room", "TestPrivateReachesOnlyTheTwo", "./server", "server/private.go",
     "\tif to != p {\n\t\tto.enqueue(privateFrame(to, m, false))\n\t}",
     "\tfor _, q := range s.allJoinedLocked() {\n\t\tif q != p {\n\t\t\tq.enqueue(privateFrame(q, m, false))\n\t\t}\n\t}",
     "delivery to the addressee alone (delivered to every member)",
     r'carol received .* a private message leaked'),
    ("banned client reconnects", "TestBanByNick", "./server", "server/room.go",
     "if b := s.sanctionLocked(wire.ActBan, fold, key, peerAddr(p), now); b != nil {", "if b := s.sanctionLocked(wire.ActBan, fold, key, peerAddr(p), now); b != nil && false {",
     "the ban check on hello",
     r'want bye banned'),
    ("banned address, plain client", "TestBanByAddress", "./server", "server/conns.go",
     "if e, banned := s.bannedOnArrivalLocked(p); banned {", "if e, banned := s.bannedOnArrivalLocked(p); banned && false {",
     "the ban check on a plain client's arrival",
     r'plain from a banned address'),
    ("member moderates", "TestModerationNotAllowed", "./server", "server/moderation.go",
     "\tcase role == \"\":\n\t\treturn refuse(wire.CodeNotAllowed", "\tcase false:\n\t\treturn refuse(wire.CodeNotAllowed",
     "the role check of a moderation",
     r'from a member: .* want not_allowed'),
    ("moderator acts against the host", "TestModerationRanks", "./server", "server/roles.go",
     "\tcase tr == wire.RoleHost:", "\tcase false:",
     "the host's protection",
     r'by a moderator: .* want not_allowed'),
    ("wrong host key", "TestModerationNotAllowed", "./server", "server/roles.go",
     "want == \"\" || subtle.ConstantTimeCompare([]byte(key), []byte(want)) != 1", "want == \"\" || subtle.ConstantTimeCompare([]byte(want), []byte(want)) != 1",
     "the host key comparison",
     r'wire.Claim.* from a member: .* want not_allowed'),
    ("muted member sends", "TestMute", "./server", "server/sanctions.go",
     "b := s.peerSanctionLocked(wire.ActMute, p, now)", "b := (*sanction)(nil)",
     "the mute check on send",
     r'a muted member was heard'),
    ("ban after a restart", "TestSanctionsSurviveRestart", "./server", "server/sanctionstore.go",
     "all, err := ss.LoadSanctions(ctx, now)", "all, err := []store.Sanction(nil), error(nil)",
     "loading the bans and mutes from the store at Open",
     r'from 127\.0\.0\.5 after the restart: .*want bye banned'),
    ("ban on an unrestored session after a restart", "TestSanctionsSurviveRestart", "./server", "server/room.go",
     "key := store.SessionKey(h.Session)", "key := \"\"",
     "the session key of a token the server does not know",
     r'someone-else.*after the restart: .*want bye banned'),
    ("private message resent", "TestPrivateResentOnce", "./server", "server/private.go",
     "if f.CID != \"\" && p.sess != nil && p.sess.deliveredPrivate(f.CID) {",
     "if f.CID != \"\" && p.sess != nil && p.sess.deliveredPrivate(f.CID) && false {",
     "the session's recent private cids (a resent private message delivered again)",
     r'the resent private message: .*want duplicate'),
]


def copy_tree(dst):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split("\n")
    for f in files:
        if not f or f.startswith(("build/", "dist/")):
            continue
        src = os.path.join(ROOT, f)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dst, f)), exist_ok=True)
        shutil.copy2(src, os.path.join(dst, f))


def add_gorilla(dst):
    """A writable copy of gorilla/websocket, used through a replace directive."""
    info = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/gorilla/websocket"],
                          cwd=dst, check=True, capture_output=True, text=True).stdout.strip()
    shutil.copytree(info, os.path.join(dst, "gorilla"))
    for d, _, fs in os.walk(os.path.join(dst, "gorilla")):
        os.chmod(d, 0o755)
        for f in fs:
            os.chmod(os.path.join(d, f), 0o644)
    with open(os.path.join(dst, "go.mod"), "a") as f:
        f.write("\nreplace github.com/gorilla/websocket => ./gorilla\n")


# What the tests log with t.Logf, which is not a failure.
INFO = ("during the case:", "memory: heap", "flood of", "the stuck client was dropped after",
        "old server:", "a full session holds")

# How many times the control run repeats each test with its defences in
# place; every one must pass.
CONTROL_RUNS = 2

# Bounds one run of one test, as go test's -timeout.
TIMEOUT = "300s"


def first_failure(out):
    """The first line that says what failed (not a log line)."""
    for line in out.splitlines():
        s = line.strip()
        if "level=" in s or any(i in s for i in INFO):
            continue
        if re.match(r"^\S+_test\.go:\d+: ", s) or s.startswith(("panic:", "WARNING: DATA RACE")):
            s = re.sub(r"^\S+_test\.go:\d+: ", "", s)
            return re.sub(r"\s+", " ", s)[:160]
    for line in out.splitlines():
        if "FAIL" in line or "timed out" in line or "race detected" in line:
            return line.strip()[:160]
    return "(no failure line)"


def matched_line(out, expect):
    """The line of out in which expect matches, cleaned for the table, or None."""
    m = re.search(expect, out)
    if not m:
        return None
    start = out.rfind("\n", 0, m.start()) + 1
    end = out.find("\n", m.end())
    line = out[start:] if end < 0 else out[start:end]
    line = re.sub(r"^\s*\S+_test\.go:\d+: ", "", line.strip())
    return re.sub(r"\s+", " ", line)[:160]


def go_test(tmp, test, pkg):
    """Runs one test as make test runs the suite; returns (passed, output, seconds)."""
    env = dict(os.environ, LANG="en_US.UTF-8")
    t0 = time.monotonic()
    r = subprocess.run(["go", "test", "-race", "-count=1", "-timeout", TIMEOUT,
                        "-run", "^" + test + "$", pkg],
                       cwd=tmp, env=env, capture_output=True, text=True)
    out = r.stdout + r.stderr
    return r.returncode == 0, out, time.monotonic() - t0


def build_failed(out):
    return "[build failed]" in out or "[setup failed]" in out


def check_rows():
    """Every row has its 8 fields and a regular expression that compiles."""
    bad = []
    for i, row in enumerate(DEFENCES):
        if len(row) != 8:
            bad.append(f"row {i + 1} ({row[0] if row else '?'}): {len(row)} fields, want 8 "
                       "(case, test, package, file, old, new, what is removed, EXPECT)")
            continue
        try:
            re.compile(row[7])
        except re.error as e:
            bad.append(f"row {i + 1} ({row[0]}): EXPECT {row[7]!r}: {e}")
        if not row[7].strip():
            bad.append(f"row {i + 1} ({row[0]}): empty EXPECT")
    return bad


def check_code():
    """Every row's code to change is in its file exactly once, so that no
    row goes stale unnoticed when the code around a defence moves."""
    bad = []
    gorilla = None
    for i, row in enumerate(DEFENCES):
        path, old = row[3], row[4]
        full = os.path.join(ROOT, path)
        if path.startswith("gorilla/"):
            if gorilla is None:
                gorilla = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/gorilla/websocket"],
                                         cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
            full = os.path.join(gorilla, path[len("gorilla/"):])
        try:
            with open(full) as f:
                n = f.read().count(old)
        except OSError as e:
            bad.append(f"row {i + 1} ({row[0]}): {e}")
            continue
        if n != 1:
            bad.append(f"row {i + 1} ({row[0]}): the code to change is in {path} {n} times, want once")
    return bad


def main():
    bad = check_rows()
    if not bad and sys.argv[1:] == ["--check"]:
        bad = check_code()
        if not bad:
            print(f"defences.py: {len(DEFENCES)} rows, each one's code found once")
            return 0
    if bad:
        for b in bad:
            print("defences.py: " + b, file=sys.stderr)
        return 2
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    rows = [r for r in DEFENCES if not only or only in r[0]]
    results = []
    confirmed = 0
    with tempfile.TemporaryDirectory(prefix="parley-defences-") as tmp:
        copy_tree(tmp)
        add_gorilla(tmp)

        # The control: each test, with every defence in place, must pass.
        control = {}
        for _, test, pkg, *_ in rows:
            if (test, pkg) in control:
                continue
            verdict = f"passed {CONTROL_RUNS}/{CONTROL_RUNS}"
            for i in range(CONTROL_RUNS):
                ok, out, secs = go_test(tmp, test, pkg)
                if not ok:
                    kind = "BUILD FAILED" if build_failed(out) else "FLAKY/BROKEN"
                    verdict = f"{kind}: run {i + 1} failed: {first_failure(out)}"
                    break
            control[(test, pkg)] = verdict
            print(f"control {test} ({pkg}): {verdict} ({secs:.0f}s a run)", file=sys.stderr, flush=True)

        for case, test, pkg, path, old, new, what, expect in rows:
            ctl = control[(test, pkg)]
            if not ctl.startswith("passed"):
                results.append((case, test, what, ctl, "NOT CONFIRMED: the control run failed"))
                print(f"{case}: not run, the control failed", file=sys.stderr, flush=True)
                continue
            full = os.path.join(tmp, path)
            with open(full) as f:
                orig = f.read()
            if old not in orig:
                results.append((case, test, what, ctl, "STALE: the code to change is gone"))
                print(f"{case}: STALE", file=sys.stderr, flush=True)
                continue
            with open(full, "w") as f:
                f.write(orig.replace(old, new))
            try:
                ok, out, secs = go_test(tmp, test, pkg)
            finally:
                with open(full, "w") as f:
                    f.write(orig)
            if ok:
                seen = "PASSED: the test does not notice"
            elif build_failed(out):
                seen = "BUILD FAILED: " + first_failure(out)
            else:
                line = matched_line(out, expect)
                if line is None:
                    seen = "WRONG FAILURE: " + first_failure(out)
                else:
                    seen = line
                    confirmed += 1
            results.append((case, test, what, ctl, seen))
            print(f"{case} ({secs:.0f}s): {seen}", file=sys.stderr, flush=True)

    print("| case | test | defence removed | control (defence in place) | failure seen without it |")
    print("|---|---|---|---|---|")
    for case, test, what, ctl, seen in results:
        seen = seen.replace("|", "/").replace("`", "'")
        ctl = ctl.replace("|", "/").replace("`", "'")
        print(f"| {case} | `{test}` | {what} | {ctl} | `{seen}` |")
    print()
    print(f"{confirmed} of {len(results)} defences confirmed: their test passed "
          f"{CONTROL_RUNS} control runs and failed as expected without them.")
    return 0 if confirmed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
