#!/usr/bin/python3
"""Interop check over TLS: Debian's python3-websockets joins an encrypted chat.

Runs the headless binary given as the argument with -tls (a self-signed
certificate made under a temporary -data folder) on a free loopback port,
reads the fingerprint it logs, and then, with Python's own ssl module:
a plain-text client and a rich client join over wss://, each checking the
server's key against that fingerprint (SHA-256 of the certificate's
SubjectPublicKeyInfo, base32, as docs/PROTOCOL.md defines it) instead of
a certificate authority; they chat; the page is served over https:// on
the same port; a plain ws:// client is refused with a 400 that names the
wss:// address; SIGTERM closes everyone with 1001 and the process exits 0.
Every step is bounded in time.

Usage: /usr/bin/python3 scripts/interop_tls.py ./parley-server
"""

import asyncio
import json
import os
import ssl
import tempfile
import urllib.request

import websockets

import interoplib as lib
from interoplib import GREETING, STEP, check, key_of, pinned_context, recv, recv_rich


async def chat(addr, fp, proc):
    url = f"wss://{addr}/"
    a = await websockets.connect(url, ssl=pinned_context())
    check("plain wss client: server key matches the logged fingerprint", key_of(a) == fp, (key_of(a), fp))
    r = await websockets.connect(url, ssl=pinned_context(), subprotocols=["parley.v1"])
    check("rich wss client: server key matches", key_of(r) == fp)
    check("plain greeting over wss", await recv(a) == GREETING)
    await r.send(json.dumps({"type": "hello", "v": 1, "nick": "pyrich", "agent": "interop_tls.py"}))
    w = await recv_rich(r, "welcome")
    check("rich welcome over wss", w["nick"] == "pyrich" and w["room"] == "Interop", w)

    await a.send("hello over TLS")
    check("plain sender gets its own message", await recv(a) == "guest-1: hello over TLS")
    m = await recv_rich(r, "msg")
    check("plain to rich over wss", m["from"] == "guest-1" and m["text"] == "hello over TLS", m)

    # The page, on the same port, over https.
    def page():
        with urllib.request.urlopen(f"https://{addr}/", context=pinned_context(), timeout=STEP) as resp:
            return resp.status, resp.read().decode()
    status, body = await asyncio.get_running_loop().run_in_executor(None, page)
    check("https page on the same port", status == 200 and "Parley" in body, status)

    # A plain ws:// client is refused, and told where to go.
    try:
        p = await websockets.connect(f"ws://{addr}/")
        await p.close()
        check("plain ws:// refused on a TLS-only port", False, "it connected")
    except websockets.InvalidStatusCode as e:
        check("plain ws:// refused with 400", e.status_code == 400, e.status_code)

    fa, fr = await lib.shutdown(proc, a, r)
    check("plain farewell over wss", fa[-1:] == ["* The server is shutting down."], fa)
    check("close 1001 over wss", a.close_code == 1001 and r.close_code == 1001, (a.close_code, r.close_code))


def scenario(binary):
    with tempfile.TemporaryDirectory() as data:
        proc, addr, fp = lib.start_tls_server(binary, ["-data", data])
        lib.run_then_reap(proc, chat(addr, fp, proc))
        mode = os.stat(os.path.join(data, "tls", "key.pem")).st_mode & 0o777
        check("key file is 0600", mode == 0o600, oct(mode))


def main():
    lib.main("interop_tls", __doc__, scenario, f", {ssl.OPENSSL_VERSION}")


if __name__ == "__main__":
    main()
