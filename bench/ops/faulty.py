#!/usr/bin/env python3
"""A misbehaving upstream for bench/faults.sh: a TCP relay in front of a real backend whose
behaviour is read from a file at every new connection.

  faulty.py --port P --target HOST:PORT --mode-file FILE [--log FILE]

Modes (the first word of FILE; absent or empty: pass):
  pass [RATE]          relay both ways; RATE (MiB/s) paces the answers (0 or absent: no limit)
  stall                accept, read whatever comes, never answer (a frozen JVM, a full disk's
                       hung NFS mount): the connection stays open until the peer closes it
  slow SECONDS [RATE]  relay, but hold each answer's first byte for SECONDS
  stall-after BYTES    relay the first BYTES of the answer, then stall as above (K/M suffix)
  close                accept and close at once (a crashing instance behind a balancer)
One line per connection (time, mode, bytes each way) goes to --log; --status FILE is rewritten
every 0.2 s with the answer bytes relayed so far on each open connection, one number a line.
"""
import argparse, os, re, socket, sys, threading, time


def size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)(?:i?B)?", s.strip())
    if not m:
        raise ValueError("bad size %r" % s)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]


def drain(sock):
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--mode-file", required=True)
    ap.add_argument("--log", default=None)
    ap.add_argument("--status", default=None)
    a = ap.parse_args()
    th, tp = a.target.rsplit(":", 1)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(256)
    logf = open(a.log, "a") if a.log else None
    lock = threading.Lock()
    active = {}

    def status():
        while True:
            time.sleep(0.2)
            with lock:
                text = "".join("%d\n" % c["down"] for c in active.values())
            with open(a.status + ".tmp", "w") as fh:
                fh.write(text)
            os.replace(a.status + ".tmp", a.status)

    if a.status:
        threading.Thread(target=status, daemon=True).start()

    def log(msg):
        if logf:
            with lock:
                logf.write("%.3f %s\n" % (time.time(), msg)); logf.flush()

    def mode():
        try:
            words = open(a.mode_file).read().split()
        except OSError:
            words = []
        return words or ["pass"]

    def handle(c, addr):
        m = mode()
        kind = m[0]
        log("conn %s:%d mode %s" % (addr[0], addr[1], " ".join(m)))
        if kind == "close":
            c.close(); return
        if kind == "stall":
            drain(c)  # until the peer gives up
            log("conn %s:%d stalled until the peer closed" % addr)
            c.close(); return
        try:
            u = socket.socket()
            # a small receive buffer: when the backend dies, what it had sent is not replayed for
            # seconds from this relay's buffer (a paced answer would hide the moment of the crash)
            u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            u.settimeout(5)
            u.connect((th, int(tp)))
            u.settimeout(None)
        except OSError as e:
            log("conn %s:%d target refused: %s" % (addr[0], addr[1], e))
            c.close(); return
        counts = {"up": 0, "down": 0}
        with lock:
            active[id(counts)] = counts
        fresh = threading.Event()  # the client sent bytes since the last answer began: a new answer

        def up():
            try:
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    fresh.set()
                    u.sendall(b)
                    counts["up"] += len(b)
            except OSError:
                pass
            try:
                u.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        def down():
            # the mode is read again at the start of every answer, so a keep-alive connection
            # opened earlier follows a change too
            rate, limit, t0, sent = 0.0, None, time.monotonic(), 0
            try:
                while True:
                    b = u.recv(65536)
                    if not b:
                        break
                    if fresh.is_set():
                        fresh.clear()
                        m = mode()
                        kind, rate, limit, t0, sent = m[0], 0.0, None, time.monotonic(), 0
                        if kind == "stall":
                            log("conn %s:%d answer stalled" % addr)
                            drain(c)
                            break
                        if kind == "slow":
                            time.sleep(float(m[1]))
                            rate = float(m[2]) if len(m) > 2 else 0.0
                            t0 = time.monotonic()
                        elif kind == "pass" and len(m) > 1:
                            rate = float(m[1])
                        elif kind == "stall-after":
                            limit = size(m[1])
                    if limit is not None and sent + len(b) >= limit:
                        c.sendall(b[: max(0, limit - sent)])
                        counts["down"] += max(0, limit - sent)
                        log("conn %s:%d stalling after %d answer bytes" % (addr[0], addr[1], limit))
                        drain(c)
                        break
                    c.sendall(b)
                    sent += len(b); counts["down"] += len(b)
                    if rate > 0:
                        ahead = sent / (rate * (1 << 20)) - (time.monotonic() - t0)
                        if ahead > 0:
                            time.sleep(ahead)
            except OSError:
                pass

        tu = threading.Thread(target=up, daemon=True); tu.start()
        down()
        for s in (c, u):
            # shutdown first: close() alone would neither wake the thread blocked in recv() on
            # it nor send the FIN (the descriptor stays open until that recv returns)
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        with lock:
            active.pop(id(counts), None)
        log("conn %s:%d closed up=%d down=%d" % (addr[0], addr[1], counts["up"], counts["down"]))

    while True:
        c, addr = ls.accept()
        threading.Thread(target=handle, args=(c, addr), daemon=True).start()


if __name__ == "__main__":
    main()
