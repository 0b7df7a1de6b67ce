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
import base64
import hashlib
import json
import os
import signal
import ssl
import sys
import tempfile
import urllib.request

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop  # noqa: E402  (check, recv, recv_rich, closed)
from interop import GREETING, STEP, check, recv, recv_rich, closed  # noqa: E402


def der_element(b, i):
    """Returns (start, end) of the DER element at i and its content start."""
    n = b[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[j:j + k], "big")
        j += k
    return i, j + n, j


def spki_fingerprint(cert_der):
    """Parley's fingerprint: base32 of SHA-256 over the SubjectPublicKeyInfo."""
    _, _, tbs = der_element(cert_der, 0)        # Certificate
    _, _, i = der_element(cert_der, tbs)        # TBSCertificate
    if cert_der[i] == 0xA0:                     # [0] version
        i = der_element(cert_der, i)[1]
    for _ in range(5):                          # serial, signature, issuer, validity, subject
        i = der_element(cert_der, i)[1]
    start, end, _ = der_element(cert_der, i)    # subjectPublicKeyInfo
    digest = hashlib.sha256(cert_der[start:end]).digest()
    return base64.b32encode(digest).decode().rstrip("=").lower()


def pinned_context():
    """A client context that skips CA checks: the pin is checked after the handshake."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def key_of(ws):
    der = ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
    return spki_fingerprint(der)


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

    proc.send_signal(signal.SIGTERM)
    fa, fr = await asyncio.gather(closed(a), closed(r))
    check("plain farewell over wss", fa[-1:] == ["* The server is shutting down."], fa)
    check("close 1001 over wss", a.close_code == 1001 and r.close_code == 1001, (a.close_code, r.close_code))


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    print(f"interop_tls: python3-websockets {websockets.__version__}, {ssl.OPENSSL_VERSION}, against {binary}")
    with tempfile.TemporaryDirectory() as data:
        proc, addr, fp = interop.start_server(binary, ["-tls", "-data", data], (
            rb'listening.* addr=(\S+)', rb'encrypted.* fp=([a-z2-7]{52})'))
        interop.run_then_reap(proc, chat(addr, fp, proc))
        mode = os.stat(os.path.join(data, "tls", "key.pem")).st_mode & 0o777
        check("key file is 0600", mode == 0o600, oct(mode))
    print(f"interop_tls: {interop.passed} passed, {interop.failed} failed")
    sys.exit(1 if interop.failed else 0)


if __name__ == "__main__":
    main()
