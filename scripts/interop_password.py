#!/usr/bin/python3
"""Interop check of the room password: Debian's python3-websockets joins an
encrypted chat that has a password, in plain mode, with /pass.

Runs the headless binary given as the argument with -tls and
-password-file (a temporary file holding the password), on a free
loopback port. Over wss://, the server's key checked against the logged
fingerprint as in interop_tls.py:

- a plain client gets the greeting and one notice naming /pass; a line
  and /who before the password are answered with the notice again and go
  nowhere; a wrong /pass is refused and says how many tries are left;
- the right /pass joins it as guest-N, and it chats with a second plain
  client that joined the same way, neither having seen anything from the
  room before its password;
- SIGTERM closes both with 1001 and the process exits 0.

Every step is bounded in time.

Usage: /usr/bin/python3 scripts/interop_password.py ./parley-server
"""

import os
import tempfile

import websockets

import interoplib as lib
from interoplib import GREETING, check, key_of, pinned_context, recv


PASSWORD = "correct horse battery"


async def join(url, fp, name):
    """Connects a plain client and passes the gate; returns it and its nick."""
    ws = await websockets.connect(url, ssl=pinned_context())
    check(f"{name}: server key matches the logged fingerprint", key_of(ws) == fp)
    check(f"{name}: greeting first", await recv(ws) == GREETING)
    notice = await recv(ws)
    check(f"{name}: one notice naming /pass", notice.startswith("* ") and "/pass PASSWORD" in notice, notice)
    check(f"{name}: over wss, no warning about plain text", "not encrypted" not in notice, notice)
    for line in ("anyone here?", "/who"):
        await ws.send(line)
        check(f"{name}: {line!r} before the password gets the notice again", await recv(ws) == notice)
    await ws.send("/pass not it")
    wrong = await recv(ws)
    check(f"{name}: a wrong /pass is refused", wrong.startswith("* wrong password") and "more tries" in wrong, wrong)
    await ws.send("/pass " + PASSWORD)
    ok = await recv(ws)
    check(f"{name}: the right /pass joins", ok.startswith("* password accepted: you are guest-"), ok)
    return ws, ok.rsplit(" ", 1)[1]


async def chat(addr, fp, proc):
    url = f"wss://{addr}/"
    a, na = await join(url, fp, "first")
    await a.send("secret before the second joins")
    check("first sees its own line", await recv(a) == f"{na}: secret before the second joins")
    b, nb = await join(url, fp, "second")
    await b.send("hello from python")
    line = f"{nb}: hello from python"
    check("second gets its own line", await recv(b) == line)
    check("first gets the second's line", await recv(a) == line)
    await a.send("/who")
    who = await recv(a)
    check("/who lists both once in", who.startswith("* 2 here:") and na in who and nb in who, who)

    await lib.shutdown(proc, a, b)
    check("close 1001 for both", a.close_code == 1001 and b.close_code == 1001, (a.close_code, b.close_code))


def scenario(binary):
    with tempfile.TemporaryDirectory() as data:
        pwfile = os.path.join(data, "password")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(pwfile, 0o600)
        proc, addr, fp = lib.start_tls_server(binary, ["-data", data, "-no-history", "-password-file", pwfile])
        lib.run_then_reap(proc, chat(addr, fp, proc))


def main():
    lib.main("interop_password", __doc__, scenario)


if __name__ == "__main__":
    main()
