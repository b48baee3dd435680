#!/usr/bin/env python3
"""The per-minute table of bench/soak.sh and its verdict.

  soak_report.py OUT_DIR --minutes N [--warmup W] [--rss-check] [--rss-tolerance 10]

Reads OUT/minutes.jsonl and OUT/failures.jsonl (load.py), OUT/events.tsv (soak.sh: one line per
push, pull, reload, renewal: epoch_ms kind ok ms detail) and OUT/start_ms. Prints the markdown
table and a summary; exits 1 on any failure, and with --rss-check when the median RSS of a minute
after the warm-up is more than the tolerance away from the first minute after it.
"""
import argparse, json, os, sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--minutes", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--rss-check", action="store_true")
    ap.add_argument("--rss-tolerance", type=float, default=10.0)
    a = ap.parse_args()
    mins = {}
    p = os.path.join(a.out, "minutes.jsonl")
    if os.path.exists(p):
        for ln in open(p):
            r = json.loads(ln)
            mins[r["minute"]] = r
    t0 = int(open(os.path.join(a.out, "start_ms")).read())
    ev = {}
    problems = []
    for ln in open(os.path.join(a.out, "events.tsv")):
        parts = ln.rstrip("\n").split("\t")
        if len(parts) < 4:
            continue
        t, kind, ok, ms = int(parts[0]), parts[1], parts[2] == "ok", int(parts[3])
        detail = parts[4] if len(parts) > 4 else ""
        m = max(1, (t - t0) // 60000 + 1)
        e = ev.setdefault(m, {})
        e.setdefault(kind, []).append((ok, ms, detail))
        if not ok:
            problems.append("minute %d: %s failed after %d ms: %s" % (m, kind, ms, detail))
    fails = [json.loads(l) for l in open(os.path.join(a.out, "failures.jsonl"))] if os.path.exists(os.path.join(a.out, "failures.jsonl")) else []
    for f in fails[:20]:
        problems.append("small request failed at %.1f s (%s): %s" % (f["t"], f["kind"], f["error"]))
    if len(fails) > 20:
        problems.append("... %d more small-request failures" % (len(fails) - 20))

    def fmt(x, nd=1):
        return "-" if x is None else ("%.*f" % (nd, x))

    lines = ["| min | RSS MiB (median) | threads | fds | GETs | GET p50 ms | GET p99 ms | HEADs | HEAD p99 ms | failed | pushes | pulls | push s (avg) | pull s (avg) | reloads | other |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    last = max([a.minutes] + list(mins) + list(ev))
    for m in range(1, last + 1):
        r = mins.get(m, {})
        e = ev.get(m, {})

        def cnt(kind):
            xs = e.get(kind, [])
            ok = sum(1 for x in xs if x[0])
            return "%d" % ok if ok == len(xs) else "%d (%d failed)" % (ok, len(xs) - ok)

        def avg_s(kind):
            xs = [x[1] for x in e.get(kind, []) if x[0]]
            return "%.1f" % (sum(xs) / len(xs) / 1000.0) if xs else "-"
        other = "; ".join("%s %s" % (k, "ok in %d ms" % x[1] if x[0] else "FAILED") for k in ("renewal",) for x in e.get(k, []))
        failed = (r.get("failed") or 0) + sum(1 for k in e for x in e[k] if not x[0])
        rss = r.get("rss_kb_med")
        lines.append("| %d%s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
            m, " (warm-up)" if a.rss_check and m <= a.warmup else "",
            fmt(rss / 1024.0 if rss else None), r.get("threads", "-"), r.get("fds", "-"), r.get("get", 0),
            fmt(r.get("get_p50_ms")), fmt(r.get("get_p99_ms")), r.get("head", 0), fmt(r.get("head_p99_ms")),
            failed, cnt("push"), cnt("pull"), avg_s("push"), avg_s("pull"), cnt("reload"), other))
    print("\n".join(lines))

    total_small = sum(r.get("get", 0) + r.get("head", 0) for r in mins.values())
    retried = sum(r.get("retried", 0) for r in mins.values())
    n = lambda k: sum(1 for e in ev.values() for x in e.get(k, []) if x[0])
    print()
    print("small requests: %d ok, %d failed, %d retried on a new connection; pushes %d, pulls %d (each verified byte-identical), reloads %d, renewals %d; %d failures in all"
          % (total_small, len(fails), retried, n("push"), n("pull"), n("reload"), n("renewal"), len(fails) + sum(1 for e in ev.values() for k in e for x in e[k] if not x[0])))
    rss = [(m, r["rss_kb_med"]) for m, r in sorted(mins.items()) if r.get("rss_kb_med")]
    if rss:
        print("RSS (median per minute): first %.0f MiB, last %.0f MiB, min %.0f, max %.0f" % (
            rss[0][1] / 1024.0, rss[-1][1] / 1024.0, min(x[1] for x in rss) / 1024.0, max(x[1] for x in rss) / 1024.0))
    if a.rss_check:
        after = [(m, v) for m, v in rss if m > a.warmup and m <= a.minutes]
        if not after:
            problems.append("no RSS samples after the %d-minute warm-up" % a.warmup)
        else:
            base = after[0][1]
            worst = max(after, key=lambda x: abs(x[1] - base))
            dev = 100.0 * (worst[1] - base) / base
            print("RSS after the %d-minute warm-up: minute %d %.0f MiB is the baseline; largest deviation %+.1f%% (minute %d, %.0f MiB); tolerance +-%.0f%%"
                  % (a.warmup, after[0][0], base / 1024.0, dev, worst[0], worst[1] / 1024.0, a.rss_tolerance))
            if abs(dev) > a.rss_tolerance:
                problems.append("RSS drifted %+.1f%% after warm-up (minute %d: %.0f MiB vs %.0f MiB)" % (dev, worst[0], worst[1] / 1024.0, base / 1024.0))
    extra = os.path.join(a.out, "problems.txt")
    if os.path.exists(extra):
        problems += [l.strip() for l in open(extra) if l.strip()]
    if problems:
        print()
        for p in problems:
            print("FAIL: " + p)
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
