#!/usr/bin/env python3
"""Host side of the e2e tier's link events: relays the guest's QMP requests to the outer
QEMU's monitor, so that the scenario can take a NIC's link down and up from outside the guest
(QMP set_link, TESTBED.md "Link events").

    qmp-relay.py QMP_SOCKET REQUEST_DIR

The guest writes REQUEST_DIR/N.req (one QMP command as JSON, e.g. {"execute": "set_link",
"arguments": {"name": "n0", "up": false}}) through the results share; this relay sends it and
writes REQUEST_DIR/N.rep: {"reply": QEMU's answer, "sent": host time before, "answered": host
time after (seconds)}. It waits for QEMU's socket (QEMU creates it at start, server=on,
wait=off), looks for requests every 20 ms (this is the test harness, not accelnetd), and ends
when QEMU closes the monitor or is gone."""
import json
import os
import socket
import sys
import time


def connect(path, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class Qmp:
    def __init__(self, path):
        self.s = connect(path)
        self.f = self.s.makefile("rw")
        greeting = json.loads(self.f.readline())
        if "QMP" not in greeting:
            raise RuntimeError(f"not a QMP greeting: {greeting}")
        self.call({"execute": "qmp_capabilities"})

    def call(self, cmd):
        self.f.write(json.dumps(cmd) + "\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("QEMU closed the monitor")
            msg = json.loads(line)
            if "return" in msg or "error" in msg:
                return msg
            # an asynchronous event (NIC_RX_FILTER_CHANGED, ...): not the answer


def main():
    sock, reqdir = sys.argv[1], sys.argv[2]
    os.makedirs(reqdir, exist_ok=True)
    os.chmod(reqdir, 0o777)
    try:
        q = Qmp(sock)
    except (OSError, RuntimeError, EOFError) as e:
        print(f"qmp-relay: no monitor: {e}", file=sys.stderr)
        return 1
    done = set()
    while True:
        for name in sorted(os.listdir(reqdir)):
            if not name.endswith(".req") or name in done:
                continue
            path = os.path.join(reqdir, name)
            try:
                with open(path) as f:
                    cmd = json.load(f)
            except (OSError, ValueError):
                continue  # still being written
            done.add(name)
            t0 = time.time()
            try:
                reply = q.call(cmd)
            except EOFError:
                return 0
            t1 = time.time()
            tmp = os.path.join(reqdir, name[:-4] + ".rep.tmp")
            with open(tmp, "w") as f:
                json.dump({"reply": reply, "sent": t0, "answered": t1}, f)
            os.rename(tmp, os.path.join(reqdir, name[:-4] + ".rep"))
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
