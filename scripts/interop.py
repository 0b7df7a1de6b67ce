#!/usr/bin/python3
"""Interop check: a WebSocket client nobody here wrote talks to Parley.

Runs the headless binary given as the argument on a free loopback port,
with DISPLAY unset, and drives it with Debian's python3-websockets: two
plain-text clients and one rich client (subprotocol parley.v1) chat with
each other; then SIGTERM must close every client with 1001 and the
process must exit 0. Then the history: the server restarts on the same
data folder, a rich client finds what was said before, says more, and
the server is killed with SIGKILL; restarted once more, a rich client
gets the history from before the kill, resumes without a gap, and a
message sent again is recognised as a duplicate. Every step is bounded
in time.

Usage: /usr/bin/python3 scripts/interop.py ./parley-server
"""

import json
import signal
import tempfile

import websockets

import interoplib as lib
from interoplib import GREETING, check, recv, recv_rich


async def chat(url, proc):
    a = await websockets.connect(url)
    b = await websockets.connect(url)
    r = await websockets.connect(url, subprotocols=["parley.v1"])
    check("plain clients get no subprotocol", a.subprotocol is None and b.subprotocol is None)
    check("rich client gets parley.v1", r.subprotocol == "parley.v1")
    check("plain greeting", await recv(a) == GREETING)
    check("plain greeting (second client)", await recv(b) == GREETING)

    await r.send(json.dumps({"type": "hello", "v": 1, "nick": "pyrich", "agent": "interop.py"}))
    w = await recv_rich(r, "welcome")
    users = sorted(u["nick"] for u in w["users"])
    check("rich welcome", w["nick"] == "pyrich" and w["room"] == "Interop" and users == ["guest-1", "guest-2", "pyrich"], w)

    await a.send("hello from a")
    check("plain sender gets its own message", await recv(a) == "guest-1: hello from a")
    check("plain to plain", await recv(b) == "guest-1: hello from a")
    m = await recv_rich(r, "msg")
    check("plain to rich", m["from"] == "guest-1" and m["text"] == "hello from a" and m["id"] == 1, m)

    await b.send("/nick bee")
    check("plain /nick", await recv(b) == "* you are now bee")
    await b.send("multi\nline")
    want = "bee: multi\n     line"
    check("multi-line to plain sender", await recv(b) == want)
    check("multi-line to plain", await recv(a) == want)
    m = await recv_rich(r, "msg")
    check("rename and multi-line to rich", m["from"] == "bee" and m["text"] == "multi\nline", m)

    await r.send(json.dumps({"type": "send", "cid": "py-1", "text": "hi from rich"}))
    m = await recv_rich(r, "msg")
    check("rich sender gets its echo with its cid", m["text"] == "hi from rich" and m["cid"] == "py-1", m)
    check("rich to plain", await recv(a) == "pyrich: hi from rich")
    check("rich to plain (second client)", await recv(b) == "pyrich: hi from rich")

    await a.send("/who")
    check("plain /who", await recv(a) == "* 3 here: bee, guest-1, pyrich")

    # SIGTERM: every client is told and closed with 1001; the process exits 0.
    fa, fb, fr = await lib.shutdown(proc, a, b, r)
    check("plain farewell", fa[-1:] == ["* The server is shutting down."], fa)
    check("plain close 1001", a.close_code == 1001 and b.close_code == 1001, (a.close_code, b.close_code))
    bye = json.loads(fr[-1]) if fr else {}
    check("rich bye", bye.get("type") == "bye" and bye.get("reason") == "shutdown", fr)
    check("rich close 1001", r.close_code == 1001, r.close_code)


async def hello(url, nick, **resume):
    r = await websockets.connect(url, subprotocols=["parley.v1"])
    await r.send(json.dumps({"type": "hello", "v": 1, "nick": nick, "agent": "interop.py", **resume}))
    return r, await recv_rich(r, "welcome")


async def after_restart(url):
    """The first restart, after SIGTERM: the history is still there."""
    r, w = await hello(url, "pyback")
    texts = [m["text"] for m in w["history"]]
    check("history survives a restart", texts == ["hello from a", "multi\nline", "hi from rich"], texts)
    check("ids go on after a restart", w["last_id"] == 3 and [m["id"] for m in w["history"]] == [1, 2, 3], w)
    await r.send(json.dumps({"type": "send", "cid": "py-2", "text": "said before the kill"}))
    m = await recv_rich(r, "msg")
    check("a message after the restart", m["id"] == 4 and m["cid"] == "py-2", m)
    await r.close()
    return w


async def after_kill(url, before):
    """The second restart, after SIGKILL: acknowledged means kept."""
    r, w = await hello(url, "pyfresh")
    texts = [m["text"] for m in w["history"]]
    check("history from before SIGKILL", texts[-1:] == ["said before the kill"] and w["last_id"] == 4, texts)
    check("same epoch after SIGKILL", w["epoch"] == before["epoch"], (w["epoch"], before["epoch"]))
    await r.close()
    # pyback comes back: it saw up to 3, so it gets 4 alone, and its
    # message sent again is the original, not a new one.
    b, bw = await hello(url, "pyback", session=before["session"], epoch=before["epoch"], after=3)
    ids = [m["id"] for m in bw["history"]]
    check("resume after SIGKILL: no gap, no repeat", bw.get("resumed") and not bw.get("gap") and ids == [4], bw)
    await b.send(json.dumps({"type": "send", "cid": "py-2", "text": "said before the kill"}))
    m = await recv_rich(b, "msg")
    check("a message sent again after SIGKILL is recognised", m["id"] == 4 and m["cid"] == "py-2", m)
    await b.send(json.dumps({"type": "send", "cid": "py-3", "text": "new"}))
    m = await recv_rich(b, "msg")
    check("the next message gets the next id", m["id"] == 5, m)
    await b.close()


def scenarios(binary):
    with tempfile.TemporaryDirectory(prefix="parley-interop-") as data:
        proc, addr = lib.start_server(binary, ["-data", data])
        lib.run_then_reap(proc, chat(f"ws://{addr}/", proc))

        proc, addr = lib.start_server(binary, ["-data", data])
        welcome = lib.run(after_restart(f"ws://{addr}/"), "restart", 3)
        proc.kill()  # SIGKILL: no goodbye, no last write
        proc.wait()

        if welcome:
            proc, addr = lib.start_server(binary, ["-data", data])
            lib.run(after_kill(f"ws://{addr}/", welcome), "restart after SIGKILL", 3)
            proc.send_signal(signal.SIGTERM)
            lib.reap(proc, "SIGTERM")


def main():
    lib.main("interop", __doc__, scenarios)


if __name__ == "__main__":
    main()
