#!/usr/bin/python3
"""Interop check for private messages and moderation, with a client
nobody here wrote (Debian's python3-websockets).

Runs the headless binary given as the argument with a fresh -data folder,
reads the host key from the file it logs, and drives it with two plain
clients and one rich client: /msg between the plain clients (the rich one
must see nothing of it), /host KEY, /topic, /kick of a plain client (a last
line, then close 1008), and /ban of the rich client, whose reconnection is
refused with bye "banned". Then SIGTERM, and the server must exit 0.
Every step is bounded in time (interoplib.py's STEP).

Usage: /usr/bin/python3 scripts/interop_moderation.py ./parley-server
"""

import json
import os
import signal
import tempfile

import websockets

import interoplib as lib
from interoplib import GREETING, check, closed, recv, rich_until


async def scenario(url, key):
    a = await websockets.connect(url)
    b = await websockets.connect(url)
    r = await websockets.connect(url, subprotocols=["parley.v1"])
    check("plain greetings", await recv(a) == GREETING and await recv(b) == GREETING)
    await r.send(json.dumps({"type": "hello", "v": 1, "nick": "pyrich"}))
    w, _ = await rich_until(r, "welcome")
    check("welcome lists private and moderation", {"private", "moderation"} <= set(w.get("caps", [])), w.get("caps"))

    await a.send("/msg guest-2 just between us")
    check("/msg echo to the sender", await recv(a) == "* [private] to guest-2: just between us")
    check("/msg to the addressee", await recv(b) == "* [private] guest-1: just between us")
    await r.send(json.dumps({"type": "send", "cid": "m", "text": "marker"}))
    echo, skipped = await rich_until(r, "msg")
    check("a third client sees nothing of it",
          echo["text"] == "marker" and not any("between us" in json.dumps(f) for f in skipped), skipped)
    check("plain clients see the public marker", await recv(a) == "pyrich: marker" and await recv(b) == "pyrich: marker")

    await a.send("/kick guest-2")
    check("/kick refused to a member", (await recv(a)).startswith("* not allowed"))
    await a.send("/host " + key)
    check("/host KEY", (await recv(a)).startswith("* you are the host"))
    role, _ = await rich_until(r, "role")
    check("the room sees the host", role["nick"] == "guest-1" and role["role"] == "host", role)

    await a.send("/topic Interop at noon")
    check("/topic set", await recv(a) == "* topic set")
    topic, _ = await rich_until(r, "topic")
    check("the topic is announced", topic["text"] == "Interop at noon" and topic["by"] == "guest-1", topic)

    await a.send("/kick guest-2 enough")
    check("/kick answered", await recv(a) == "* kick guest-2: done")
    last = await closed(b)
    check("the kicked plain client gets a last line",
          last == ["* disconnected: you were removed by guest-1 (enough)"], last)
    check("and close 1008", b.close_code == 1008, b.close_code)

    await a.send("/ban pyrich 1h spam")
    check("/ban answered", (await recv(a)).startswith("* ban pyrich: done, until "))
    bye, _ = await rich_until(r, "bye")
    check("the banned rich client gets bye banned", bye["reason"] == "banned" and bye["until"] > 0 and "spam" in bye["text"], bye)
    await closed(r)
    check("and close 1008", r.close_code == 1008, r.close_code)

    again = await websockets.connect(url, subprotocols=["parley.v1"])
    await again.send(json.dumps({"type": "hello", "v": 1, "nick": "PyRich"}))
    f, _ = await rich_until(again, "bye")
    check("a banned nickname is refused on its return", f["reason"] == "banned", f)
    await closed(again)
    await a.close()


def run(binary):
    with tempfile.TemporaryDirectory(prefix="parley-interop-mod-") as data:
        proc, addr, keyfile = lib.start_server(binary, ["-data", data], logs=(lib.LISTENING, rb'host key.* file=(\S+)'))
        with open(keyfile) as f:
            key = f.read().strip()
        check("the host key file is private", os.stat(keyfile).st_mode & 0o077 == 0, oct(os.stat(keyfile).st_mode))
        lib.run(scenario(f"ws://{addr}/", key), "moderation")
        proc.send_signal(signal.SIGTERM)
        lib.reap(proc, "SIGTERM")


def main():
    lib.main("interop (moderation)", __doc__, run)


if __name__ == "__main__":
    main()
