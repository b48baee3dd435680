#!/usr/bin/env bash
# Soak: gantry's built distribution under mixed load for N minutes (issue 13, docs/operations.md).
#
#   bench/soak.sh                   # 30 minutes, RSS drift checked after a 5-minute warm-up
#   bench/soak.sh --minutes 1       # CI smoke (~1.5 min): 0 failures checked, no RSS verdict
#   bench/soak.sh --minutes 10 --warmup 3 --layer 128MiB --rate 200 --tarball /tmp/gantry.tar.gz
#
# On 127.0.0.1, free ports: a private CA and a leaf for localhost (the acceptance harness's
# lib/pki.sh), one docker-registry laid out like a Nexus hosted repository, and gantry (the
# tarball, bin/gantry run) on TLS with `reload.watch = true`. Then, all at once:
#   * small GETs (a 1 KiB blob, body hashed) and manifest HEADs (digest checked), --rate per
#     second in all over keep-alive connections renewed every 50 requests (bench/ops/load.py);
#   * a loop of skopeo pushes of a new image with one --layer random layer (64 MiB), each pulled
#     back and compared byte for byte (the registry's copy is deleted after each round);
#   * at 20 s past every minute a reload: a route and an upstream added or removed in the file,
#     `bin/gantry reload`, checked in the admin's /routes;
#   * halfway, a certificate renewal: a new key and certificate renamed over the served files,
#     picked up by the file watch; a new handshake must then get the new serial.
# Every 10 s: gantry's VmRSS, threads and open fds; after the warm-up and at the end, where the
# memory is (heap, metaspace, code cache: jcmd, if the JDK has it). Output: the per-minute
# markdown table on stdout (also OUT/soak.md), logs in OUT (default /tmp/gantry-soak).
# Exit 1 on any failed request, push, pull, reload or renewal, a gantry that died or restarted,
# and (with --minutes >= 10, or --rss-check) a minute after the warm-up whose median RSS is more
# than 10% away from the first minute after it. Exit 2 on a setup problem.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
minutes=30 warmup=5 layer=64MiB rate=100 tarball="" rss_check="" out=${OUT:-/tmp/gantry-soak}
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --layer) layer=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --tarball) tarball=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --rss-check) rss_check=1; shift ;;
    --no-rss-check) rss_check=0; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$rss_check" ] || { [ "$minutes" -ge 10 ] && rss_check=1 || rss_check=0; }
OPS_WORK=$out OPS_NAME=soak
. "$here/ops/common.sh"

cleanup() {
  trap - EXIT INT TERM
  touch "$OPS_WORK/stop" 2>/dev/null
  [ -n "${loop_pid:-}" ] && kill "$loop_pid" 2>/dev/null
  [ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null
  ops_stop_all
  rm -rf "$OPS_WORK/img" "$OPS_WORK/pulled" "$OPS_WORK/reg"/*/data 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ops_init
ops_pki
mapfile -t ports < <(ops_ports 3)
reg_port=${ports[0]} port=${ports[1]} admin_port=${ports[2]}
ops_registry_start hosted "$reg_port"
ops_gantry_unpack "$tarball"
conf="$OPS_WORK/gantry.conf"
# write_conf 0|1 : the configuration; 1 adds an upstream and a route (what a reload changes)
write_conf() {
  local extra_up="" extra_route=""
  if [ "$1" = 1 ]; then
    extra_up="extra = \"http://127.0.0.1:$reg_port/repository/docker-hosted/\""
    extra_route="{ name = soak-extra, path = \"/extra/\", to = extra }"
  fi
  cat >"$conf.tmp" <<CONF
gantry {
  listeners = [ { name = tls, host = "127.0.0.1", port = $port } ]
  tls.certificates = [ { cert = "$OPS_CERT", key = "$OPS_KEY" } ]
  upstreams {
    hosted = "http://127.0.0.1:$reg_port/repository/docker-hosted/"
    $extra_up
  }
  routes = [
    $extra_route
    { name = registry, to = hosted }
  ]
  admin { host = "127.0.0.1", port = $admin_port }
  access-log.path = "$OPS_WORK/logs/access.log"
  reload { watch = true }
  shutdown-grace = 2s
}
CONF
  mv "$conf.tmp" "$conf"
}
write_conf 0
ops_gantry_start "$conf" "$port"
gpid=$OPS_GANTRY_PID
ops_log "gantry $gpid on https://$OPS_HOST:$port, admin 127.0.0.1:$admin_port, registry 127.0.0.1:$reg_port"

# the small image: a 1 KiB layer to GET, a manifest to HEAD
ops_mkimg small 1KiB && ops_push small "$OPS_HOST:$port/soak/small:small" || ops_die "seeding push failed: $(ops_why small push)"
small_layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' "$OPS_WORK/img/small.json")
small_manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifest"])' "$OPS_WORK/img/small.json")

events="$OPS_WORK/events.tsv"; : >"$events"; : >"$OPS_WORK/problems.txt"
event() { printf '%s\t%s\t%s\t%s\t%s\n' "$(now_ms)" "$1" "$2" "$3" "${4:-}" >>"$events"; }
t0=$(now_ms); echo "$t0" >"$OPS_WORK/start_ms"
end=$(( t0 + minutes * 60000 ))

python3 "$here/ops/load.py" --host "$OPS_HOST" --port "$port" --ca "$OPS_CA" --pid "$gpid" --out "$OPS_WORK" --rate "$rate" \
  --get "/v2/soak/small/blobs/$small_layer" --get-digest "$small_layer" \
  --head "/v2/soak/small/manifests/small" --head-digest "$small_manifest" \
  --stop "$OPS_WORK/stop" --max-seconds $(( minutes * 60 + 600 )) 2>"$OPS_WORK/logs/load.log" &
load_pid=$!

# pushes and pulls, one image at a time, until the end (the last round may run over a little)
big_loop() {
  local i=0 name ref t rc detail data="$OPS_WORK/reg/hosted/data/docker/registry/v2"
  # a new round starts only with 15 s left (the first one always)
  while [ ! -f "$OPS_WORK/stop" ] && { [ $i = 0 ] || [ $(( $(now_ms) + 15000 )) -lt "$end" ]; }; do
    i=$((i + 1)); name="big$i"; ref="$OPS_HOST:$port/soak/$name:$name"
    ops_mkimg "$name" "$layer" || { event push fail 0 "mkimage failed"; sleep 5; continue; }
    t=$(now_ms); ops_push "$name" "$ref"; rc=$?
    if [ $rc != 0 ]; then event push fail $(( $(now_ms) - t )) "$name: rc $rc $(ops_why "$name" push)"; continue; fi
    event push ok $(( $(now_ms) - t )) "$name"
    t=$(now_ms); ops_pull "$ref" "$name"; rc=$?
    if [ $rc != 0 ]; then event pull fail $(( $(now_ms) - t )) "$name: rc $rc $(ops_why "$name" pull)"; continue; fi
    if detail=$(ops_same_image "$name"); then event pull ok $(( $(now_ms) - t )) "$name $detail"
    else event pull fail $(( $(now_ms) - t )) "$name: CORRUPT: $detail"; fi
    # keep the disk flat: the image's layer and repository go from the registry's storage
    python3 - "$OPS_WORK/img/$name.json" "$data" "$name" <<'PY'
import json, shutil, sys, os
d, data, name = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
for l in d["layers"]:
    h = l["digest"].split(":")[1]
    shutil.rmtree(os.path.join(data, "blobs", "sha256", h[:2], h), ignore_errors=True)
shutil.rmtree(os.path.join(data, "repositories", "soak", name), ignore_errors=True)
PY
    rm -rf "$OPS_WORK/img/$name" "$OPS_WORK/pulled/$name"
  done
}
big_loop &
loop_pid=$!

reload_once() { # reload_once N : the N-th reload toggles the extra route
  local variant=$(( $1 % 2 )) t rc out want have i
  write_conf "$variant"
  t=$(now_ms)
  out=$("$OPS_GANTRY/bin/gantry" reload "$conf" 2>&1); rc=$?
  if [ $rc != 0 ]; then event reload fail $(( $(now_ms) - t )) "rc $rc: $(echo "$out" | tr '\n' ' ' | cut -c1-200)"; return; fi
  for i in $(seq 30); do
    have=$(curl -s -m 2 "http://127.0.0.1:$admin_port/routes" | grep -c soak-extra)
    [ "$have" -ge "$variant" ] && { [ "$variant" = 1 ] || [ "$have" = 0 ]; } && break
    sleep 0.1
  done
  if { [ "$variant" = 1 ] && [ "$have" -lt 1 ]; } || { [ "$variant" = 0 ] && [ "$have" != 0 ]; }; then
    event reload fail $(( $(now_ms) - t )) "route soak-extra $( [ "$variant" = 1 ] && echo missing || echo still there) in /routes after the reload"
  else
    event reload ok $(( $(now_ms) - t )) "variant $variant"
  fi
}
renew_once() {
  local before new t served i
  before=$(ops_served_serial "$port")
  t=$(now_ms)
  new=$(ops_renew_cert) || { event renewal fail 0 "could not issue a certificate"; return; }
  for i in $(seq 60); do
    served=$(ops_served_serial "$port")
    [ "$served" = "$new" ] && break
    sleep 0.5
  done
  if [ "$served" = "$new" ]; then event renewal ok $(( $(now_ms) - t )) "serial $before -> $new"
  else event renewal fail $(( $(now_ms) - t )) "served serial $served, renewed $new (before $before)"; fi
}

# jvm_probe WHEN : where the memory is (heap, metaspace, code cache; jcmd from the JDK, if present)
jvm_probe() {
  command -v jcmd >/dev/null || return 0
  local heap meta code anon
  local info; info=$(timeout 20 jcmd "$gpid" GC.heap_info 2>/dev/null)
  heap=$(sed -n 's/.*generation *total \([0-9]*\)K.*/\1/p' <<<"$info" | awk '{ t += $1 } END { printf "%.0f", t / 1024 }')
  meta=$(sed -n 's/.*Metaspace .*committed \([0-9]*\)K.*/\1/p' <<<"$info" | awk '{ printf "%.0f", $1 / 1024 }')
  code=$(timeout 20 jcmd "$gpid" Compiler.codecache 2>/dev/null | sed -n 's/.* used=\([0-9]*\)Kb.*/\1/p' | head -1)
  anon=$(awk '/^RssAnon:/ { printf "%.0f", $2 / 1024 }' "/proc/$gpid/status")
  echo "$1: RSS $(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$gpid/status") MiB (anonymous $anon), heap committed ${heap:-?} MiB, metaspace committed ${meta:-?} MiB, code cache used $(( ${code:-0} / 1024 )) MiB" >>"$OPS_WORK/jvm.txt"
}
: >"$OPS_WORK/jvm.txt"
probed=0; probe_at=$(( t0 + warmup * 60000 ))
ops_log "soak for $minutes min: $rate small req/s, $layer pushes and pulls, a reload per minute, a renewal at $(( minutes * 30 + 10 )) s"
n=0; renewed=0; renew_at=$(( t0 + minutes * 30000 + 10000 ))
while [ "$(now_ms)" -lt "$end" ]; do
  now=$(now_ms)
  if [ $renewed = 0 ] && [ "$now" -ge "$renew_at" ]; then renewed=1; renew_once; continue; fi
  if [ $probed = 0 ] && [ "$now" -ge "$probe_at" ]; then probed=1; jvm_probe "after the ${warmup}-min warm-up"; continue; fi
  if [ "$now" -ge $(( t0 + n * 60000 + 20000 )) ] && [ $(( t0 + n * 60000 + 20000 )) -lt "$end" ]; then
    n=$((n + 1)); reload_once "$n"; continue
  fi
  if ! ops_pid_ours "$gpid"; then echo "gantry (PID $gpid) died" >>"$OPS_WORK/problems.txt"; break; fi
  sleep 1
done
touch "$OPS_WORK/stop"
ops_log "time is up; waiting for the last push/pull round and the load"
wait "$loop_pid"; loop_pid=""
wait "$load_pid"; load_pid=""
ops_pid_ours "$gpid" || echo "gantry (PID $gpid) is gone at the end" >>"$OPS_WORK/problems.txt"
jvm_probe "at the end"
met=$(curl -s -m 5 "http://127.0.0.1:$admin_port/metrics")
python3 - "$met" >"$OPS_WORK/reload-metrics.txt" <<'PY'
import json, sys
try:
    m = json.loads(sys.argv[1])
except Exception:
    print("metrics unreadable"); sys.exit(0)
for kind in ("counters", "gauges"):
    for k, v in sorted(m.get(kind, {}).items()):
        if k.startswith("gantry.config.reloads"):
            print(k, v.get("count", v.get("value")))
PY
grep -q "reloads.failed 0$" "$OPS_WORK/reload-metrics.txt" || \
  echo "gantry counted failed reloads: $(tr '\n' ' ' <"$OPS_WORK/reload-metrics.txt")" >>"$OPS_WORK/problems.txt"
grep -q 'Exception\|ERROR' "$OPS_WORK/logs/gantry.log" && ops_log "gantry.log has ERROR/exception lines (see $OPS_WORK/logs/gantry.log)"

report_args=("$OPS_WORK" --minutes "$minutes" --warmup "$warmup"); [ "$rss_check" = 1 ] && report_args+=(--rss-check)
python3 "$here/ops/soak_report.py" "${report_args[@]}" >"$OPS_WORK/soak.md"; rc=$?
{ echo; echo "gantry PID $gpid (one process for the whole run); $(tr '\n' ',' <"$OPS_WORK/reload-metrics.txt" | sed 's/,$//; s/,/, /g')"
  sed 's/^/jvm /' "$OPS_WORK/jvm.txt"; } >>"$OPS_WORK/soak.md"
cat "$OPS_WORK/soak.md"
exit $rc
