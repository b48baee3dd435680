#!/usr/bin/env python3
"""Small requests through gantry for bench/soak.sh, and the process sampler.

  load.py --port P [--host localhost] --ca CA --get PATH --get-digest sha256:.. --head PATH --head-digest sha256:..
          --pid GANTRY_PID --out DIR [--rate 100] [--head-share 0.2] [--workers 8]
          [--new-conn-every 50] [--sample 10] [--stop FILE] [--max-seconds N]

Workers send GET PATH (a small blob: the body must hash to --get-digest) and HEAD PATH (a
manifest: 200 with Docker-Content-Digest = --head-digest) to https://HOST:P over keep-alive
connections (TLS verified against CA only, SNI HOST), a new connection every
--new-conn-every requests (so handshakes keep happening and a renewed certificate is seen), at
--rate requests/s in all. A failure is anything else: another status, a wrong body or digest, a
refused/reset connection, a failed handshake, no answer within 10 s. A REUSED connection that
turns out closed before any byte of the answer is retried once on a new one (RFC 9112 9.3.1, as
curl and Go do) and counted under "retried", apart from failures.

Every --sample seconds the gantry process's VmRSS, threads (/proc/PID/status) and open file
descriptors (/proc/PID/fd) are written to OUT/samples.jsonl. Until --stop exists: then
OUT/minutes.jsonl gets one line per minute since the start (requests, failures, p50/p99/max
latency per kind, RSS/threads/fds of that minute's samples), OUT/failures.jsonl the failures and
OUT/summary.json the totals, latencies, and answers counted by their X-Backend header (which
instance of a pool served them).
"""
import argparse, hashlib, http.client, json, os, socket, ssl, sys, threading, time

TIMEOUT = 10.0


class Gone(Exception):
    pass


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.minutes = {}
        self.failures = []
        self.t0 = time.time()
        self.backends = {}

    def bucket(self, t):
        m = int((t - self.t0) // 60)
        b = self.minutes.get(m)
        if b is None:
            b = self.minutes[m] = {"get": [], "head": [], "fail": 0, "retried": 0, "samples": []}
        return b

    def ok(self, kind, t, ms, backend=None):
        with self.lock:
            self.bucket(t)[kind].append(ms)
            if backend:
                self.backends[backend] = self.backends.get(backend, 0) + 1

    def fail(self, kind, t, what):
        with self.lock:
            self.bucket(t)["fail"] += 1
            self.failures.append({"t": round(t - self.t0, 3), "kind": kind, "error": what[:300]})

    def retried(self, t):
        with self.lock:
            self.bucket(t)["retried"] += 1

    def sample(self, t, s):
        with self.lock:
            self.bucket(t)["samples"].append(s)


def worker(a, ctx, st, stop, interval, offset):
    conn, used = None, 0
    head_every = round(1 / a.head_share) if a.head_share > 0 else 0
    nxt = time.monotonic() + offset
    n = 0
    while not stop.is_set():
        now = time.monotonic()
        if nxt > now:
            time.sleep(nxt - now)
        nxt = max(nxt + interval, time.monotonic() - 1.0)
        n += 1
        kind = "head" if head_every and n % head_every == 0 else "get"
        path = a.head if kind == "head" else a.get
        t = time.time()
        for attempt in (1, 2):
            reused = conn is not None
            if conn is None:
                conn, used = http.client.HTTPSConnection(a.host, a.port, context=ctx, timeout=TIMEOUT), 0
            try:
                t_start = time.monotonic()
                try:
                    conn.request("HEAD" if kind == "head" else "GET", path,
                                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json",
                                          "User-Agent": "gantry-soak"})
                    r = conn.getresponse()
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                    if reused:
                        raise Gone(str(e))
                    raise
                body = r.read()
                ms = (time.monotonic() - t_start) * 1000.0
                used += 1
                if kind == "get":
                    good = r.status == 200 and "sha256:" + hashlib.sha256(body).hexdigest() == a.get_digest
                else:
                    good = r.status == 200 and r.getheader("Docker-Content-Digest") == a.head_digest
                if good:
                    st.ok(kind, t, ms, r.getheader("X-Backend"))
                else:
                    st.fail(kind, t, "status %d digest %s len %d" % (r.status, r.getheader("Docker-Content-Digest"), len(body)))
                if r.getheader("Connection", "").lower() == "close" or used >= a.new_conn_every or not good:
                    conn.close(); conn = None
                break
            except Gone:
                conn.close(); conn = None
                if attempt == 1:
                    st.retried(t)
                    continue
                st.fail(kind, t, "closed before the answer, twice")
            except Exception as e:
                if conn is not None:
                    conn.close()
                conn = None
                st.fail(kind, t, "%s: %s" % (type(e).__name__, e))
                break
    if conn is not None:
        conn.close()


def usage(pid):
    rss = thr = 0
    try:
        for ln in open("/proc/%d/status" % pid):
            if ln.startswith("VmRSS:"):
                rss = int(ln.split()[1])
            elif ln.startswith("Threads:"):
                thr = int(ln.split()[1])
        fds = len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None
    return {"rss_kb": rss, "threads": thr, "fds": fds}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="localhost")
    ap.add_argument("--ca", required=True)
    ap.add_argument("--get", required=True)
    ap.add_argument("--get-digest", required=True)
    ap.add_argument("--head", required=True)
    ap.add_argument("--head-digest", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--head-share", type=float, default=0.2)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--new-conn-every", type=int, default=50)
    ap.add_argument("--sample", type=float, default=10)
    ap.add_argument("--stop", default=None)
    ap.add_argument("--max-seconds", type=float, default=7200)
    a = ap.parse_args()
    ctx = ssl.create_default_context(cafile=a.ca)
    st, stop = State(), threading.Event()
    interval = a.workers / a.rate
    threads = [threading.Thread(target=worker, args=(a, ctx, st, stop, interval, i * interval / a.workers), daemon=True)
               for i in range(a.workers)]
    for t in threads:
        t.start()
    samples = open(os.path.join(a.out, "samples.jsonl"), "a")
    next_sample = time.time()
    last_minute = 0
    while True:
        now = time.time()
        if (a.stop and os.path.exists(a.stop)) or now - st.t0 > a.max_seconds:
            break
        if now >= next_sample:
            u = usage(a.pid)
            if u is None:
                st.fail("sample", now, "gantry process %d is gone" % a.pid)
                break
            u["t"] = round(now - st.t0, 1)
            st.sample(now, u)
            samples.write(json.dumps(u) + "\n"); samples.flush()
            next_sample += a.sample
        m = int((now - st.t0) // 60)
        if m > last_minute:
            with st.lock:
                b = st.minutes.get(last_minute)
                if b:
                    print("minute %d: %d GET p99 %.1f ms, %d HEAD, %d failed, rss %s kB" % (
                        last_minute + 1, len(b["get"]), pct(b["get"], 99) or 0, len(b["head"]), b["fail"],
                        b["samples"][-1]["rss_kb"] if b["samples"] else "?"), file=sys.stderr, flush=True)
            last_minute = m
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(TIMEOUT + 2)
    with st.lock, open(os.path.join(a.out, "minutes.jsonl"), "w") as out:
        for m in sorted(st.minutes):
            b = st.minutes[m]
            s = b["samples"]
            rec = {"minute": m + 1, "get": len(b["get"]), "head": len(b["head"]), "failed": b["fail"],
                   "retried": b["retried"],
                   "get_p50_ms": pct(b["get"], 50), "get_p99_ms": pct(b["get"], 99), "get_max_ms": max(b["get"]) if b["get"] else None,
                   "head_p99_ms": pct(b["head"], 99),
                   "rss_kb": s[-1]["rss_kb"] if s else None, "rss_kb_max": max(x["rss_kb"] for x in s) if s else None,
                   "rss_kb_med": pct([x["rss_kb"] for x in s], 50) if s else None,
                   "threads": max(x["threads"] for x in s) if s else None, "fds": max(x["fds"] for x in s) if s else None,
                   "samples": len(s)}
            out.write(json.dumps(rec) + "\n")
    with open(os.path.join(a.out, "failures.jsonl"), "w") as out:
        for f in st.failures:
            out.write(json.dumps(f) + "\n")
    total = sum(len(b["get"]) + len(b["head"]) for b in st.minutes.values())
    lat = sorted(x for b in st.minutes.values() for x in b["get"] + b["head"])
    with open(os.path.join(a.out, "summary.json"), "w") as out:
        json.dump({"t0_ms": int(st.t0 * 1000), "ok": total, "failed": len(st.failures),
                   "retried": sum(b["retried"] for b in st.minutes.values()),
                   "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": lat[-1] if lat else None,
                   "backends": st.backends, "failures": st.failures[:50]}, out)
    print("load: %d requests ok, %d failed, %d retried" % (total, len(st.failures),
          sum(b["retried"] for b in st.minutes.values())), file=sys.stderr)


if __name__ == "__main__":
    main()
