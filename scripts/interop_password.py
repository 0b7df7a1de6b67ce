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
import sys
import tempfile

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop  # noqa: E402
from interop import GREETING, check, recv, closed  # noqa: E402
from interop_tls import key_of, pinned_context  # noqa: E402

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

    proc.send_signal(interop.signal.SIGTERM)
    fa, fb = await interop.asyncio.gather(closed(a), closed(b))
    check("close 1001 for both", a.close_code == 1001 and b.close_code == 1001, (a.close_code, b.close_code))


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    print(f"interop_password: python3-websockets {websockets.__version__}, against {binary}")
    with tempfile.TemporaryDirectory() as data:
        pwfile = os.path.join(data, "password")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(pwfile, 0o600)
        proc, addr, fp = interop.start_server(binary, ["-tls", "-data", data, "-no-history", "-password-file", pwfile], (
            rb'listening.* addr=(\S+)', rb'encrypted.* fp=([a-z2-7]{52})'))
        interop.run_then_reap(proc, chat(addr, fp, proc))
    print(f"interop_password: {interop.passed} passed, {interop.failed} failed")
    sys.exit(1 if interop.failed else 0)


if __name__ == "__main__":
    main()
