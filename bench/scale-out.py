#!/usr/bin/env python3
"""Helpers for bench/scale-out.sh (issue 14); standard library only.

  scale-out.py ports N                         N free TCP ports on 127.0.0.1, one a line
  scale-out.py cmd SOCKET COMMAND              one HAProxy runtime API command ("set server gantry/a state drain")
  scale-out.py traffic SOCKET HAPROXY_PID GANTRY_PID   bytes per frontend/server and CPU seconds (JSON)
  scale-out.py stat SOCKET                     'server status sessions' for each server of backend gantry
  scale-out.py wait SOCKET SERVER PREFIX SECS [SINCE_MS]  poll every 50 ms until SERVER's status starts
                                               with PREFIX (UP, DOWN, NOLB...); prints the ms since SINCE_MS
                                               (epoch ms; default: its own start), exit 1 on timeout
  scale-out.py same SRC DST TAG PUSHED PULLED  the pulled OCI layout equals the source: manifest digest
                                               (= skopeo's push and pull digest files), every blob's
                                               sha256, size and bytes; prints a summary or the difference
  scale-out.py drained ACCESS_LOG T_MS TEXT    requests (lines containing TEXT) of a gantry access log that
                                               started by T_MS (epoch ms) and ended after it: "N (kinds)"
  scale-out.py ops OPS_TSV                     JSON summary of one run's client operations
  scale-out.py loop LOOP_JSON                  one line from lib/reqloop.py's summary
"""
import filecmp
import hashlib
import json
import os
import socket
import sys
import time


def ports(n):
    socks = []
    for _ in range(int(n)):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    for s in socks:
        print(s.getsockname()[1])
        s.close()


def haproxy(sock_path, command):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(sock_path)
        s.sendall(command.encode() + b"\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode()


def servers(sock_path):
    """{server: (status, current sessions)} of backend 'gantry' from 'show stat'."""
    lines = haproxy(sock_path, "show stat").splitlines()
    header = lines[0].lstrip("# ").split(",")
    out = {}
    for ln in lines[1:]:
        if not ln:
            continue
        row = dict(zip(header, ln.split(",")))
        if row["pxname"] == "gantry" and row["svname"] not in ("BACKEND", "FRONTEND"):
            out[row["svname"]] = (row["status"], int(row["scur"] or 0))
    return out


def runtime(sock_path, command):
    print(haproxy(sock_path, command).strip())


def traffic(sock_path, haproxy_pid, gantry_pid):
    """Bytes through HAProxy (frontend, per server) and the CPU seconds HAProxy and one replica used."""
    lines = haproxy(sock_path, "show stat").splitlines()
    header = lines[0].lstrip("# ").split(",")
    out = {}
    for ln in lines[1:]:
        row = dict(zip(header, ln.split(",")))
        if row.get("pxname") in ("registry", "gantry"):
            out["%s/%s" % (row["pxname"], row["svname"])] = {"bin": int(row["bin"] or 0), "bout": int(row["bout"] or 0)}

    def cpu(pid):
        with open("/proc/%s/stat" % pid) as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    out["cpu_s"] = {"haproxy": cpu(haproxy_pid), "gantry_b": cpu(gantry_pid)}
    print(json.dumps(out))


def stat(sock_path):
    for name, (status, scur) in sorted(servers(sock_path).items()):
        print(name, status.replace(" ", "_"), scur)


def wait(sock_path, server, prefix, secs, since_ms=None):
    t0 = time.monotonic()
    since = int(since_ms) / 1000.0 if since_ms else time.time()
    while time.monotonic() - t0 < float(secs):
        try:
            status = servers(sock_path).get(server, ("?", 0))[0]
        except OSError:
            status = "?"
        if status.startswith(prefix):
            print(int((time.time() - since) * 1000))
            return 0
        time.sleep(0.05)
    print("timeout")
    return 1


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def same(src, dst, tag, pushed_file, pulled_file):
    def manifest_of(layout):
        for m in json.load(open(os.path.join(layout, "index.json")))["manifests"]:
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
                return m["digest"]
        raise SystemExit("tag %s not in %s" % (tag, layout))

    def blob(layout, digest):
        algo, hexd = digest.split(":")
        return os.path.join(layout, "blobs", algo, hexd)

    try:
        ms, md = manifest_of(src), manifest_of(dst)
        pushed, pulled = open(pushed_file).read().strip(), open(pulled_file).read().strip()
    except (OSError, ValueError, SystemExit) as e:
        print("cannot read the results: %s" % e)
        return 1
    errs = []
    if not ms == md == pushed == pulled:
        errs.append("manifest digests differ: source %s, pushed %s, pulled %s, layout %s" % (ms, pushed, pulled, md))
    elif sha256(blob(dst, md)) != md:
        errs.append("pulled manifest does not hash to %s" % md)
    man = json.load(open(blob(src, ms)))
    total = 0
    for d in [man["config"]] + man["layers"]:
        a, b = blob(src, d["digest"]), blob(dst, d["digest"])
        if not os.path.exists(b):
            errs.append("blob %s missing after the pull" % d["digest"][:19])
            continue
        if os.path.getsize(b) != d["size"] or sha256(b) != d["digest"] or not filecmp.cmp(a, b, shallow=False):
            errs.append("blob %s differs" % d["digest"][:19])
        total += d["size"]
    if errs:
        print("; ".join(errs))
        return 1
    print("%s blobs=%d bytes=%d identical" % (md[:19], len(man["layers"]) + 1, total))
    return 0


def ops(path):
    """Lines: kind name attempts ok|failed first-error; summary as JSON."""
    total = failed = retried_ok = first_try_failed = corrupt = 0
    by_kind = {}
    failures = []
    for ln in open(path):
        f = ln.rstrip("\n").split("\t")
        if len(f) < 4:
            continue
        kind, name, attempts, result = f[0], f[1], int(f[2]), f[3]
        err = f[4] if len(f) > 4 else ""
        if kind == "verify":
            corrupt += result != "ok"
            if result != "ok":
                failures.append("%s %s: %s" % (kind, name, err))
            continue
        k = by_kind.setdefault(kind, {"total": 0, "failed": 0, "retried_ok": 0})
        total += 1
        k["total"] += 1
        if attempts > 1 or result != "ok":
            first_try_failed += 1
        if result != "ok":
            failed += 1
            k["failed"] += 1
            failures.append("%s %s after %d attempts: %s" % (kind, name, attempts, err))
        elif attempts > 1:
            retried_ok += 1
            k["retried_ok"] += 1
            failures.append("%s %s ok on attempt %d; first error: %s" % (kind, name, attempts, err))
    print(json.dumps({"ops": total, "first_try_failed": first_try_failed, "ok_on_retry": retried_ok,
                      "failed": failed, "corrupt": corrupt, "by_kind": by_kind, "notes": failures}))


def drained(path, t_ms, text):
    """Combined log lines: [dd/Mon/yyyy:HH:MM:SS +0000] ... and the duration in ms as the last field."""
    import datetime
    t = int(t_ms) / 1000.0
    kinds = {}
    try:
        lines = open(path).read().splitlines()
    except OSError:
        lines = []
    for ln in lines:
        if text not in ln:
            continue
        try:
            stamp = ln.split("[", 1)[1].split("]", 1)[0]
            start = datetime.datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z").timestamp()
            dur = int(ln.rsplit(" ", 1)[1]) / 1000.0
            method, status = ln.split('"', 2)[1].split(" ")[0], ln.split('"', 2)[2].split()[0]
        except (IndexError, ValueError):
            continue
        # the log has whole seconds: counted when it started at or before the signal's second and,
        # even from the start of its second, ended after the signal
        if start <= t and start + dur > t:
            key = "%s %s" % (method, status)
            kinds[key] = kinds.get(key, 0) + 1
    n = sum(kinds.values())
    print("%d (%s)" % (n, ", ".join("%dx %s" % (v, k) for k, v in sorted(kinds.items())) or "none"))


def loop(path):
    s = json.load(open(path))
    print(json.dumps(s))


def main(argv):
    cmd, args = argv[1], argv[2:]
    fn = {"ports": ports, "stat": stat, "wait": wait, "same": same, "ops": ops, "loop": loop, "drained": drained, "cmd": runtime, "traffic": traffic}[cmd]
    return fn(*args) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
