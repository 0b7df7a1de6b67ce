"""Shared steps of the interop checks (scripts/interop*.py): starting the
headless binary and reading what it logs, bounded reads, the tally of
checks, the TLS key pin, the SIGTERM shutdown and the scripts' main.

Every wait is bounded by STEP seconds, or a multiple of it for a whole
scenario. Not a script: the interop*.py scripts import it.
"""

import asyncio
import base64
import hashlib
import json
import os
import re
import selectors
import signal
import ssl
import subprocess
import sys
import time

import websockets

GREETING = "Welcome to chat! Type a message"
STEP = 10  # seconds any one step may take

# The patterns of the log lines that give the address, and with -tls the
# key's fingerprint.
LISTENING = rb'listening.* addr=(\S+)'
FINGERPRINT = rb'encrypted.* fp=([a-z2-7]{52})'

passed = 0
failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"  ok    {what}")
    else:
        failed += 1
        print(f"  FAIL  {what} {detail}")


def start_server(binary, extra=(), logs=(LISTENING,)):
    """Starts binary -server with extra flags; returns the process and, for
    each pattern in logs, its first group once all have appeared on stderr."""
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen(
        [binary, "-server", "-addr", "127.0.0.1:0", "-room", "Interop", *extra],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env)
    deadline = time.monotonic() + STEP
    seen = b""
    fd = proc.stderr.fileno()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=deadline - time.monotonic()):
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            seen += chunk
            found = [re.search(p, seen) for p in logs]
            if all(found):
                return (proc, *(m.group(1).decode() for m in found))
    proc.kill()
    proc.wait()
    raise SystemExit(f"interop: {binary} did not start; it said: {seen.decode(errors='replace')}")


def start_tls_server(binary, extra=()):
    """Starts binary -server -tls with extra flags (a -data folder among
    them); returns the process, its address and its key's fingerprint."""
    return start_server(binary, ["-tls", *extra], (LISTENING, FINGERPRINT))


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), STEP)


async def recv_rich(ws, want):
    """Reads rich frames until one of type want, skipping presence events."""
    while True:
        f = json.loads(await recv(ws))
        if f["type"] == want:
            return f
        if f["type"] not in ("join", "leave", "rename", "status"):
            raise AssertionError(f"got {f}, want a {want}")


async def rich_until(ws, want):
    """Reads rich frames until one of type want; returns it and the frames
    skipped on the way."""
    skipped = []
    while True:
        f = json.loads(await recv(ws))
        if f["type"] == want:
            return f, skipped
        skipped.append(f)


async def closed(ws):
    """Reads until the close and returns the frames before it."""
    frames = []
    try:
        while True:
            frames.append(await recv(ws))
    except websockets.ConnectionClosed:
        pass
    return frames


async def shutdown(proc, *clients):
    """Sends the server SIGTERM and reads every client to its close;
    returns, for each, the frames before the close."""
    proc.send_signal(signal.SIGTERM)
    return await asyncio.gather(*(closed(c) for c in clients))


def run(scenario, what, steps=6):
    """Runs the coroutine scenario within steps × STEP seconds and returns
    its result; on any error it reports that what did not run to the end
    and returns None, so that the caller still reaps the server."""
    try:
        return asyncio.run(asyncio.wait_for(scenario, steps * STEP))
    except Exception as e:  # report, then still reap the server
        check(f"{what} ran to the end", False, repr(e))
        return None


def reap(proc, what):
    """Waits for the server to exit 0 after what (a signal's name)."""
    try:
        code = proc.wait(timeout=STEP)
        check(f"server exits 0 after {what}", code == 0, code)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        check(f"server exits after {what}", False, "still running")


def run_then_reap(proc, scenario, what="chat"):
    """Runs the scenario (which ends with the server's SIGTERM), then waits
    for the server to exit 0."""
    run(scenario, what)
    reap(proc, "SIGTERM")


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
    """The fingerprint of the key the server ws is connected to presented."""
    der = ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
    return spki_fingerprint(der)


def main(name, doc, body, versions=""):
    """The scripts' main: takes the binary as the one argument (else prints
    doc), says what runs against what, calls body(binary), then prints the
    tally and exits 1 if any check failed."""
    if len(sys.argv) != 2:
        raise SystemExit(doc)
    binary = sys.argv[1]
    print(f"{name}: python3-websockets {websockets.__version__}{versions}, against {binary}")
    body(binary)
    print(f"{name}: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
