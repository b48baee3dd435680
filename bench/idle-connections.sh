#!/usr/bin/env bash
# Idle TLS connections vs active traffic (issue 15): does a population of idle keep-alive TLS
# connections slow small GETs on new connections, and what does each one cost?
#
#   bench/idle-connections.sh                                  # built dist, N=10000, 1 request each
#   bench/idle-connections.sh --n 2000 --requests 2 --histo    # connections that made 2 requests
#   GANTRY_HEAP=128m bench/idle-connections.sh                 # the launcher's environment passes through
#   bench/idle-connections.sh --java-opts '-XX:MaxDirectMemorySize=1g' --label direct1g
#   bench/idle-connections.sh --tarball /tmp/old/gantry-0.1.0-SNAPSHOT.tar.gz --label before
#
# What it does, all on 127.0.0.1 (ports BASE..BASE+14, default 17100: outside perf/run.sh's 16100-16115):
#   1. unpacks the distribution (default: the newest dist/target/gantry-*.tar.gz; copy it first if
#      others rebuild it) into OUT/LABEL/gantry, makes an EC P-256 PEM pair, starts a backend nginx
#      serving GET /small (1 KiB) pinned to core 0, and gantry (plain BASE+4, TLS BASE+14) pinned to
#      core 1 with `-Xlog:gc*,safepoint:file=OUT/LABEL/gc.log` added to GANTRY_JAVA_OPTS;
#   2. warms up (wrk over TLS, --warmup s), then `wrk -t1 -c64 -d5s --latency https://.../small`
#      --reps times: "alone" (median);
#   3. opens N TLS connections from core 0 (processes of 2,500, asyncio, 64 in flight each; TLS
#      handshake, --requests keep-alive GETs each, then idle), records the JVM's CPU per connection,
#      RSS, threads, then 10 s with no traffic (CPU by thread: JIT vs timers vs GC);
#   4. the same wrk beside them ("with idle"), checks how many are still open, closes them,
#      and wrk again ("after close").
#   Per wrk run: req/s, p99, the JVM's CPU us/request, young/full GCs and pause ms from the GC log.
#   --histo adds `jcmd GC.class_histogram` before and with the connections held (heap per connection).
#   The direct/heap/GC figures come from the platform MXBeans via the attach API (javac needed).
#
# Output: a summary on stdout, OUT/LABEL/result.json, gc.log, gantry.out, histograms.
# Needs: nginx, wrk, openssl, taskset, python3, a JDK (java, javac, jcmd); an open-files hard limit
# of N + ~3,000 (the script raises the soft limit to the hard one); ~40 KiB of client memory per
# connection. The machine should be otherwise quiet: req/s on a busy 2-core box are noise, the GC
# counts, heap and RSS figures are not.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tarball="" home="" n=10000 requests=1 wrk_secs=5 reps=3 warmup=30 label="" out=/tmp/gantry-idle-connections
java_opts="" histo=0 base=${BASE_PORT:-17100}
while [ $# -gt 0 ]; do
  case $1 in
    --tarball) tarball=$2; shift 2 ;;
    --home) home=$2; shift 2 ;;             # an unpacked distribution instead of a tarball
    --n) n=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --wrk-secs) wrk_secs=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --label) label=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --java-opts) java_opts=$2; shift 2 ;;
    --histo) histo=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "idle-connections: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in nginx wrk openssl taskset python3 java javac jcmd; do
  command -v "$tool" >/dev/null || { echo "idle-connections: missing $tool" >&2; exit 2; }
done
label=${label:-heap-${GANTRY_HEAP:-default}-n$n-r$requests}
dir=$out/$label
rm -rf "$dir" && mkdir -p "$dir"/www "$dir"/logs "$dir"/tmp "$dir"/probe

if [ -z "$home" ]; then
  if [ -z "$tarball" ]; then
    tarball=$(ls -t "$here"/../dist/target/gantry-*.tar.gz 2>/dev/null | head -1 || true)
  fi
  [ -n "$tarball" ] && [ -f "$tarball" ] || { echo "idle-connections: no tarball; build: mvn -B -q package -DskipTests" >&2; exit 2; }
  home=$dir/gantry && mkdir -p "$home" && tar -xzf "$tarball" -C "$home" --strip-components=1
fi

# TLS material, backend, gantry config.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" \
  -days 2 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
head -c 1024 /dev/urandom > "$dir/www/small"
cat > "$dir/backend.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/backend.pid;
error_log $dir/logs/backend.error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
http {
  access_log off;
  default_type application/octet-stream;
  keepalive_timeout 300s;
  keepalive_requests 1000000;
  client_body_temp_path $dir/tmp/cb; proxy_temp_path $dir/tmp/p; fastcgi_temp_path $dir/tmp/f;
  uwsgi_temp_path $dir/tmp/u; scgi_temp_path $dir/tmp/s;
  server {
    listen 127.0.0.1:$base backlog=4096;
    root $dir/www;
    location = /small { }
    location / { return 404; }
  }
}
EOF
cat > "$dir/gantry.conf" <<EOF
gantry {
  listeners = [
    { name = plain, host = "127.0.0.1", port = $((base + 4)), tls = false }
    { name = tls, host = "127.0.0.1", port = $((base + 14)), tls = true }
  ]
  tls.certificates = [ { cert = "$dir/cert.pem", key = "$dir/key.pem" } ]
  upstreams { backend = "http://127.0.0.1:$base/" }
  routes = [ { name = all, to = backend } ]
  admin.enabled = false
  access-log.enabled = false
}
EOF

# MXBean probe: direct/mapped buffer pools, heap, GC counts, threads of a running JVM.
cat > "$dir/probe/Probe.java" <<'EOF'
import com.sun.tools.attach.VirtualMachine;
import java.lang.management.*;
import javax.management.MBeanServerConnection;
import javax.management.remote.*;
public class Probe {
  public static void main(String[] a) throws Exception {
    VirtualMachine vm = VirtualMachine.attach(a[0]);
    String url = vm.startLocalManagementAgent();
    vm.detach();
    try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(url))) {
      MBeanServerConnection m = c.getMBeanServerConnection();
      StringBuilder sb = new StringBuilder("{");
      for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(m, BufferPoolMXBean.class)) {
        String n = b.getName().replaceAll("[^A-Za-z]+", "_");
        sb.append(String.format("\"%s_count\":%d,\"%s_used\":%d,", n, b.getCount(), n, b.getMemoryUsed()));
      }
      MemoryMXBean mem = ManagementFactory.newPlatformMXBeanProxy(m, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
      sb.append(String.format("\"heap_used\":%d,\"heap_committed\":%d,", mem.getHeapMemoryUsage().getUsed(), mem.getHeapMemoryUsage().getCommitted()));
      for (GarbageCollectorMXBean g : ManagementFactory.getPlatformMXBeans(m, GarbageCollectorMXBean.class)) {
        sb.append(String.format("\"gc_%s_count\":%d,", g.getName().replace(' ', '_'), g.getCollectionCount()));
      }
      ThreadMXBean t = ManagementFactory.newPlatformMXBeanProxy(m, ManagementFactory.THREAD_MXBEAN_NAME, ThreadMXBean.class);
      System.out.println(sb.append(String.format("\"threads\":%d}", t.getThreadCount())));
    }
  }
}
EOF
javac -d "$dir/probe" "$dir/probe/Probe.java"

ulimit -n "$(ulimit -Hn)"
taskset -c 0 nginx -p "$dir" -c "$dir/backend.conf" > "$dir/logs/backend.out" 2>&1 &
backend=$!
trap 'kill "$backend" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$base/small" && break; sleep 0.1; done

cat > "$dir/driver.py" <<'PYEOF'
import asyncio, json, os, re, resource, signal, ssl, statistics, subprocess, sys, time

def status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])

def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def thread_cpu(pid):
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            raw = open(f"/proc/{pid}/task/{t}/stat").read()
        except OSError:
            continue
        f = raw.rsplit(")", 1)[1].split()
        out[t] = (raw[raw.index("(") + 1:raw.rindex(")")], (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK"))
    return out

def thread_cpu_delta(a, b):
    by = {}
    for t, (name, c) in b.items():
        key = re.sub(r"\d+", "N", name)
        by[key] = by.get(key, 0.0) + c - a.get(t, (name, 0.0))[1]
    return {k: round(v, 2) for k, v in sorted(by.items(), key=lambda kv: -kv[1])[:6] if v >= 0.01}

def gc_counts(path):
    c = dict(young=0, full=0, system_gc=0, pause_ms=0.0)
    for line in open(path, errors="replace") if os.path.exists(path) else []:
        m = re.search(r"\] GC\(\d+\) Pause (Young|Full) \(([^)]*(?:\)[^)]*)?)\).* ([\d.]+)ms$", line)
        if m:
            c["young" if m.group(1) == "Young" else "full"] += 1
            c["system_gc"] += "System.gc()" in m.group(2)
            c["pause_ms"] += float(m.group(3))
    c["pause_ms"] = round(c["pause_ms"], 1)
    return c

def gc_delta(a, b):
    return {k: round(b[k] - a[k], 1) for k in a}

# ---- client side: N connections held by one process (asyncio), driven over stdin/stdout ----
async def hold(port, count, requests, inflight=64, timeout=15.0):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    req = f"GET /small HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: idle-connections\r\nAccept: */*\r\n\r\n".encode()
    sem, held, errors = asyncio.Semaphore(inflight), [], {}

    async def one():
        async with sem:
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=ctx), timeout)
                for _ in range(requests):
                    w.write(req)
                    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), timeout)
                    if b" 200 " not in head.split(b"\r\n", 1)[0] or b"connection: close" in head.lower():
                        raise ValueError("http")
                    await asyncio.wait_for(r.readexactly(int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))), timeout)
                held.append((r, w))
            except Exception as e:
                k = type(e).__name__
                errors[k] = errors.get(k, 0) + 1

    t0 = time.time()
    await asyncio.gather(*(one() for _ in range(count)))
    print(json.dumps({"established": len(held), "errors": errors, "secs": round(time.time() - t0, 1)}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        cmd = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if cmd == "check":
            await asyncio.sleep(0.2)
            print(json.dumps({"alive": sum(1 for r, w in held if not r.at_eof() and not w.is_closing())}), flush=True)
        else:
            for r, w in held:
                w.transport.abort()
            print(json.dumps({"closed": len(held)}), flush=True)
            return

# ---- orchestrator ----
def main():
    d, home = os.environ["DIR"], os.environ["HOME_DIST"]
    n, requests = int(os.environ["N"]), int(os.environ["REQUESTS"])
    wrk_secs, reps, warmup, histo = int(os.environ["WRK_SECS"]), int(os.environ["REPS"]), int(os.environ["WARMUP"]), os.environ["HISTO"] == "1"
    tls_port = int(os.environ["BASE"]) + 14
    gclog = os.path.join(d, "gc.log")
    env = dict(os.environ)
    env["GANTRY_JAVA_OPTS"] = f"-Xlog:gc*,safepoint:file={gclog} {os.environ.get('JAVA_OPTS_EXTRA', '')}".strip()
    env.setdefault("GANTRY_CDS", "off")   # same start-up for every run; CDS is not what is measured
    res = dict(label=os.path.basename(d), n=n, requests_per_conn=requests, heap=os.environ.get("GANTRY_HEAP", "(launcher default)"),
               java_opts=os.environ.get("JAVA_OPTS_EXTRA", ""))
    g = subprocess.Popen(["taskset", "-c", "1", f"{home}/bin/gantry", "run", f"{d}/gantry.conf"], env=env,
                         stdout=open(f"{d}/gantry.out", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    pid = g.pid

    def wrk(dur):
        c0, g0 = cpu_s(pid), gc_counts(gclog)
        out = subprocess.run(["taskset", "-c", "0", "wrk", "-t1", "-c64", f"-d{dur}s", "--latency",
                              f"https://127.0.0.1:{tls_port}/small"], capture_output=True, text=True).stdout
        p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
        total = int(re.search(r"(\d+) requests in", out).group(1))
        errs = re.search(r"Socket errors: (.*)", out)
        return dict(rps=round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))),
                    p99_ms=round(float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)], 2),
                    cpu_us_per_req=round((cpu_s(pid) - c0) * 1e6 / max(1, total), 1),
                    gc=gc_delta(g0, gc_counts(gclog)), errors=errs.group(1) if errs else "")

    def phase(name):
        runs = [wrk(wrk_secs) for _ in range(reps)]
        med = dict(sorted(runs, key=lambda r: r["rps"])[len(runs) // 2])
        med["all_rps"], med["all_p99_ms"] = [r["rps"] for r in runs], [r["p99_ms"] for r in runs]
        med["full_gcs"] = sum(r["gc"]["full"] for r in runs)
        med["gc_pause_ms"] = round(sum(r["gc"]["pause_ms"] for r in runs), 1)
        res[name] = med

    def probe():
        try:
            return json.loads(subprocess.run(["java", "-cp", f"{d}/probe", "Probe", str(pid)], capture_output=True,
                                             text=True, timeout=60).stdout)
        except Exception as e:
            return {"error": str(e)}

    def histogram(name):
        if histo:
            subprocess.run(f"jcmd {pid} GC.class_histogram > {d}/histo-{name}.txt 2>&1", shell=True, timeout=180)

    holders = []
    try:
        ctx = ssl._create_unverified_context()
        import urllib.request
        for _ in range(300):
            if g.poll() is not None:
                raise SystemExit(f"gantry exited, see {d}/gantry.out")
            try:
                urllib.request.urlopen(f"https://127.0.0.1:{tls_port}/small", context=ctx, timeout=2).read()
                break
            except Exception:
                time.sleep(0.2)
        for _ in range(max(1, warmup // 10)):
            wrk(10)
        histogram("start")
        res["probe_start"] = probe()     # attaches the JMX agent once, before the baselines
        phase("alone")
        res["rss_before_mib"] = round(status(pid, "VmRSS") / 1024, 1)
        nproc = (n + 2499) // 2500
        counts = [n // nproc + (1 if i < n % nproc else 0) for i in range(nproc)]
        c0, t0, tc0, g0 = cpu_s(pid), time.time(), thread_cpu(pid), gc_counts(gclog)
        holders = [subprocess.Popen(["taskset", "-c", "0", sys.executable, __file__, "hold", str(tls_port), str(c), str(requests)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1) for c in counts]
        opened = [json.loads(h.stdout.readline()) for h in holders]
        if g.poll() is not None:
            raise SystemExit(f"gantry exited while the connections were opened: {open(d + '/gantry.out').read()[-300:]}")
        res["established"] = sum(o["established"] for o in opened)
        res["open_errors"] = {k: sum(o["errors"].get(k, 0) for o in opened) for o in opened for k in o["errors"]}
        res["open_s"] = round(time.time() - t0, 1)
        res["open_cpu_us_per_conn"] = round((cpu_s(pid) - c0) * 1e6 / max(1, res["established"]))
        res["open_cpu_by_thread"] = thread_cpu_delta(tc0, thread_cpu(pid))
        res["open_gc"] = gc_delta(g0, gc_counts(gclog))
        res["threads_held"] = status(pid, "Threads")
        c1, tc1, g1 = cpu_s(pid), thread_cpu(pid), gc_counts(gclog)
        time.sleep(10)
        res["idle_cpu_s_10s"] = round(cpu_s(pid) - c1, 2)
        res["idle_cpu_by_thread"] = thread_cpu_delta(tc1, thread_cpu(pid))
        res["idle_gc"] = gc_delta(g1, gc_counts(gclog))
        res["rss_held_mib"] = round(status(pid, "VmRSS") / 1024, 1)
        res["rss_kib_per_conn"] = round((res["rss_held_mib"] - res["rss_before_mib"]) * 1024 / max(1, res["established"]), 1)
        res["probe_held"] = probe()
        phase("with_idle")
        histogram("held")
        for h in holders:
            h.stdin.write("check\n"); h.stdin.flush()
        res["alive"] = sum(json.loads(h.stdout.readline())["alive"] for h in holders)
        for h in holders:
            h.stdin.write("close\n"); h.stdin.flush()
            h.stdout.readline(); h.wait(timeout=60)
        holders = []
        time.sleep(3)
        res["rss_after_close_mib"] = round(status(pid, "VmRSS") / 1024, 1)
        phase("after_close")
        res["with_vs_alone"] = round(res["with_idle"]["rps"] / max(1, res["alone"]["rps"]), 3)
        res["gc_total"] = gc_counts(gclog)
    finally:
        for h in holders:
            h.kill()
        res["gantry_alive_at_end"] = g.poll() is None
        if g.poll() is None:
            os.killpg(pid, signal.SIGTERM)
            try:
                g.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(pid, signal.SIGKILL)
        json.dump(res, open(f"{d}/result.json", "w"), indent=1)
    a, w = res["alone"], res["with_idle"]
    print(f"{res['label']}: heap {res['heap']} {res['java_opts']}| {res['established']}/{n} idle TLS connections "
          f"({requests} request(s) each) | req/s alone {a['rps']} (p99 {a['p99_ms']} ms, {a['full_gcs']} full GC) -> "
          f"with idle {w['rps']} (p99 {w['p99_ms']} ms, {w['full_gcs']} full GC, {w['gc_pause_ms']} ms GC pauses) = "
          f"{res['with_vs_alone']}x | RSS {res['rss_before_mib']} -> {res['rss_held_mib']} MiB "
          f"({res['rss_kib_per_conn']} KiB/conn), after close {res['rss_after_close_mib']} | open {res['open_cpu_us_per_conn']} us CPU/conn, "
          f"{res['open_gc']['full']} full GCs | idle CPU {res['idle_cpu_s_10s']} s/10 s {res['idle_cpu_by_thread']} | "
          f"threads {res['threads_held']} | direct buffers held {res['probe_held'].get('direct_used', 0) >> 20} MiB, "
          f"heap used {res['probe_held'].get('heap_used', 0) >> 20} of {res['probe_held'].get('heap_committed', 0) >> 20} MiB committed")

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "hold":
        resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
        asyncio.run(hold(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
    else:
        main()
PYEOF

DIR=$dir HOME_DIST=$home N=$n REQUESTS=$requests WRK_SECS=$wrk_secs REPS=$reps WARMUP=$warmup HISTO=$histo \
  BASE=$base JAVA_OPTS_EXTRA=$java_opts python3 "$dir/driver.py"
