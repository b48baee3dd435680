#!/usr/bin/env bash
# Faults: what clients see when an upstream dies, stalls or crawls, and that gantry recovers
# without a restart and never serves corrupt bytes (issue 13, docs/operations.md).
#
#   bench/faults.sh              # 64 MiB layers, 5 s idle timeout on the faulty upstreams (~3 min)
#   bench/faults.sh --short      # CI smoke: 16 MiB layers, 3 s idle timeout (< 2 min)
#   bench/faults.sh --tarball /tmp/gantry.tar.gz --out /tmp/faults
#
# On 127.0.0.1, free ports: a private CA and a leaf for registry.gantry.test (the acceptance
# harness's lib/pki.sh; its lib/hosts.sh /etc/hosts block if the name does not resolve),
# docker-registry "a" laid out like a Nexus hosted repository, bench/ops/faulty.py
# relays in front of it (pass/paced, stall, slow; switchable at run time), and gantry (the
# tarball, bin/gantry run) with one TLS listener per upstream:
#   direct  -> a                     kill -9 a during a skopeo push (held mid-PATCH by the
#                                    harness's lib/connect_relay.py) and while it is down; restart
#   paced   -> faulty(pass, 16 MiB/s; 4 with --short) -> a   kill -9 a during a skopeo pull and a curl blob GET
#   stalled -> faulty(stall)         accepts, never answers; then answers 1 MiB of a blob and stalls
#   slow    -> faulty(slow N s)      every answer's first byte held N s, below and above the timeout
#   pool    -> [a, b] (b: a second registry on the same storage, like a Nexus HA pair), only when
#              this gantry takes `urls = [...]` (upstream pools): kill -9 b under load, both down,
#              restart; an instance that stalls (with and without an active health check); one
#              that is slow
# Each step records the status, the time to the answer or the error, and the verdict; skopeo
# verifies digests and every pulled blob is compared byte for byte with what was pushed. gantry
# must stay the same process throughout. Output: the markdown table on stdout (also
# OUT/faults.md), logs in OUT (default /tmp/gantry-faults). Exit 1 if a step's verdict is FAIL
# (WARN: behaviour worth knowing that does not break a client, e.g. a missing Retry-After).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
short=0 tarball="" out=${OUT:-/tmp/gantry-faults}
while [ $# -gt 0 ]; do
  case $1 in
    --short) short=1; shift ;;
    --tarball) tarball=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "faults: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ $short = 1 ]; then layer=16MiB idle=3 hold=4MiB pace=4; else layer=64MiB idle=5 hold=16MiB pace=16; fi
# a name, not localhost: skopeo (Go) would bypass the pacing relay (HTTPS_PROXY) for localhost
OPS_WORK=$out OPS_NAME=faults OPS_HOST=registry.gantry.test
. "$here/ops/common.sh"

bg_pids=()
cleanup() {
  trap - EXIT INT TERM
  local p; for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
  ops_stop_all
  rm -rf "$OPS_WORK/img" "$OPS_WORK/pulled" "$OPS_WORK/reg"/*/data "$OPS_WORK/shared-data" "$OPS_WORK"/*.curl 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ops_init
ops_hosts
ops_pki
mapfile -t ports < <(ops_ports 17)
ra=${ports[0]} rb=${ports[1]} fpaced=${ports[2]} fstall=${ports[3]} fslow=${ports[4]} fpstall=${ports[5]} fpslow=${ports[6]}
l_direct=${ports[7]} l_paced=${ports[8]} l_stalled=${ports[9]} l_slow=${ports[10]} admin=${ports[11]}
l_pool=${ports[12]} l_pool_stall=${ports[13]} l_pool_slow=${ports[14]} l_pool_passive=${ports[15]} fpassive=${ports[16]}
export OPS_REG_DATA="$OPS_WORK/shared-data"   # a and b share their storage (the pool's HA pair)
ops_gantry_unpack "$tarball"

faulty() { # faulty NAME PORT MODE : a faulty.py relay to registry a
  echo "$3" >"$OPS_WORK/$1.mode"
  setsid python3 "$here/ops/faulty.py" --port "$2" --target "127.0.0.1:$ra" --mode-file "$OPS_WORK/$1.mode" \
    --log "$OPS_WORK/logs/$1.log" --status "$OPS_WORK/$1.status" >>"$OPS_WORK/logs/$1.out" 2>&1 </dev/null &
  echo $! >"$OPS_WORK/pids/faulty-$1.pid"; disown $!
  local i; for i in $(seq 50); do ops_listening "$2" && return 0; sleep 0.1; done
  ops_die "faulty.py $1 did not start"
}
setmode() { echo "$2" >"$OPS_WORK/$1.mode"; }

up() { echo "http://127.0.0.1:$1/repository/docker-hosted/"; }
conf="$OPS_WORK/gantry.conf"
# write_conf 0|1 : the configuration; 1 adds the upstream pools (listeners pool, pool-stall,
# pool-slow: [a, b], [a, a stalled relay], [a, a slow relay], each with an active health check;
# pool-passive: [a, another stalled relay] without one)
write_conf() {
  local pl="" pu="" pr="" hc="health-check { path = \"v2/\", interval = 1s }" t="connect-timeout = 2s, idle-timeout = ${idle}s"
  if [ "$1" = 1 ]; then
    pl="{ name = pool, host = \"127.0.0.1\", port = $l_pool }
    { name = pool-stall, host = \"127.0.0.1\", port = $l_pool_stall }
    { name = pool-slow, host = \"127.0.0.1\", port = $l_pool_slow }
    { name = pool-passive, host = \"127.0.0.1\", port = $l_pool_passive }"
    pu="pool       { urls = [\"$(up "$ra")\", \"$(up "$rb")\"], $t, $hc }
    pool-stall { urls = [\"$(up "$ra")\", \"$(up "$fpstall")\"], $t, $hc }
    pool-slow  { urls = [\"$(up "$ra")\", \"$(up "$fpslow")\"], $t, $hc }
    pool-passive { urls = [\"$(up "$ra")\", \"$(up "$fpassive")\"], $t }"
    pr="{ name = pool, listener = pool, to = pool }
    { name = pool-stall, listener = pool-stall, to = pool-stall }
    { name = pool-slow, listener = pool-slow, to = pool-slow }
    { name = pool-passive, listener = pool-passive, to = pool-passive }"
  fi
  cat >"$conf" <<CONF
gantry {
  listeners = [
    { name = direct, host = "127.0.0.1", port = $l_direct }
    { name = paced, host = "127.0.0.1", port = $l_paced }
    { name = stalled, host = "127.0.0.1", port = $l_stalled }
    { name = slow, host = "127.0.0.1", port = $l_slow }
    $pl
  ]
  tls.certificates = [ { cert = "$OPS_CERT", key = "$OPS_KEY" } ]
  upstreams {
    direct  { url = "$(up "$ra")", $t }
    paced   { url = "$(up "$fpaced")", $t }
    stalled { url = "$(up "$fstall")", $t }
    slow    { url = "$(up "$fslow")", $t }
    $pu
  }
  routes = [
    { name = direct, listener = direct, to = direct }
    { name = paced, listener = paced, to = paced }
    { name = stalled, listener = stalled, to = stalled }
    { name = slow, listener = slow, to = slow }
    $pr
  ]
  admin { host = "127.0.0.1", port = $admin }
  access-log.path = "$OPS_WORK/logs/access.log"
  shutdown-grace = 2s
}
CONF
}
# Upstream pools (another change): used when this distribution's `gantry check` takes them.
write_conf 1
"$OPS_GANTRY/bin/gantry" check "$conf" >"$OPS_WORK/logs/pool-check.log" 2>&1 &
check_pid=$!
ops_registry_start a "$ra"
faulty paced "$fpaced" "pass $pace"
faulty stall "$fstall" "stall"
faulty slow "$fslow" "slow 1"
faulty poolstall "$fpstall" "stall"
faulty poolslow "$fpslow" "slow 1"
faulty poolpassive "$fpassive" "stall"   # its own port: gantry keeps health per server
if wait "$check_pid"; then
  pools=1
else
  pools=0; write_conf 0
fi
[ $pools = 1 ] && ops_registry_start b "$rb"
ops_gantry_start "$conf" "$l_direct"
gpid=$OPS_GANTRY_PID
ops_log "gantry $gpid; registry a :$ra; idle timeout ${idle}s; ${layer} layers; upstream pools: $([ $pools = 1 ] && echo yes || echo no)"

# ---------------------------------------------------------------- helpers
results="$OPS_WORK/results.tsv"; : >"$results"
row() { # row SCENARIO STEP EXPECTED OBSERVED VERDICT
  printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"
  ops_log "$5 $1 / $2: $4"
}
# probe LISTENER_PORT PATH [CURL ARGS] -> "<status> <ms>" (000 = no answer; curl's exit code then)
probe() {
  local port=$1 path=$2; shift 2
  local res rc
  res=$(curl -s -o /dev/null --cacert "$OPS_CA" -m 30 -w '%{http_code} %{time_total}' "$@" "https://$OPS_HOST:$port$path" 2>/dev/null); rc=$?
  awk -v rc=$rc '{ printf "%s %d%s\n", $1, $2 * 1000, ($1 == "000" ? " (curl exit " rc ")" : "") }' <<<"$res"
}
ms_since() { echo $(( $(now_ms) - $1 )); }
# check COND : verdict word
verdict() { if eval "$1"; then echo PASS; else echo FAIL; fi; }
# row_pull_k2 PORT STEP EXPECTED OBSERVED: pulls faults/k2 through PORT; PASS when the image comes
# back identical. The row says how long the pull took.
row_pull_k2() {
  local same t
  t=$(now_ms)
  if ops_pull "$OPS_HOST:$1/faults/k2:k2" k2 && same=$(ops_same_image k2); then
    row "$scen" "$2" "$3" "${4:+$4; }pull $(ms_since "$t") ms; $same" PASS
  else
    row "$scen" "$2" "$3" "${4:+$4; }$(ops_why k2 pull) ${same:-}" FAIL
  fi
}
gantry_same() { ops_pid_ours "$gpid" || { row gantry process "same PID $gpid" "gone" FAIL; return 1; }; }
blob_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' "$OPS_WORK/img/$1.json"; }
wait_up() { # wait_up PORT : ms until GET /v2/ through gantry answers 200 (max 20 s), and the other answers before it
  local t st seen=""; t=$(now_ms)
  for _ in $(seq 200); do
    st=$(probe "$1" /v2/ | cut -d' ' -f1)
    [ "$st" = 200 ] && { echo "$(ms_since "$t") ms${seen:+ (before it:$seen)}"; return 0; }
    seen="$seen $st"; sleep 0.1
  done
  echo "never"; return 1
}

# ---------------------------------------------------------------- kill -9 during a push
scen="kill during push"
ops_mkimg k1 "$layer"
relay_dir="$OPS_WORK/relay"; mkdir -p "$relay_dir"
python3 "$OPS_ACC/lib/connect_relay.py" --port-file "$relay_dir/port" --status "$relay_dir/status" --allow "$l_direct" \
  --rate 32 --hold "$hold:$relay_dir/go" --max-hold 60 --max-seconds 120 2>"$relay_dir/err" &
relay_pid=$!; bg_pids+=($relay_pid)
for _ in $(seq 50); do [ -s "$relay_dir/port" ] && break; sleep 0.1; done
( export HTTPS_PROXY="http://127.0.0.1:$(cat "$relay_dir/port")" https_proxy="http://127.0.0.1:$(cat "$relay_dir/port")" NO_PROXY="" no_proxy=""
  ops_push k1 "$OPS_HOST:$l_direct/faults/k1:k1"; echo $? >"$relay_dir/rc"; now_ms >"$relay_dir/end" ) &
push_pid=$!
for _ in $(seq 300); do grep -q 'held=0' "$relay_dir/status" 2>/dev/null && break; sleep 0.1; done
if grep -q 'held=0' "$relay_dir/status"; then
  ops_stop reg-a KILL; t_kill=$(now_ms)
  touch "$relay_dir/go"
  wait "$push_pid"
  rc=$(cat "$relay_dir/rc"); took=$(( $(cat "$relay_dir/end") - t_kill ))
  row "$scen" "skopeo push of a $layer layer, registry a killed (-9) at $hold" "push fails promptly with an error" \
    "exit $rc after ${took} ms: $(ops_why k1 push)" "$(verdict "[ $rc != 0 ] && [ $took -lt 15000 ]")"
else
  row "$scen" "skopeo push held at $hold" "held" "the relay never held it: $(cat "$relay_dir/status" 2>/dev/null) $(tail -1 "$relay_dir/err")" FAIL
  wait "$push_pid"; ops_stop reg-a KILL; t_kill=$(now_ms)
fi
read -r st ms rest <<<"$(probe "$l_direct" /v2/)"
kill "$relay_pid" 2>/dev/null
# what gantry answered the upload request that was in flight (its access log: method, status)
upl=$(grep '"PATCH \|"PUT ' "$OPS_WORK/logs/access.log" | grep '/faults/k1/' | awk '{ print $6, $9 }' | tr -d '"' | tail -1)
row "$scen" "gantry's answer to the interrupted upload request (access log)" "502: the upstream failed, not the client" "${upl:-none logged}" \
  "$(case ${upl##* } in 502|503|504) echo PASS ;; *) echo WARN ;; esac)"
row "$scen" "GET /v2/ while a is down" "502/503 at once (< 1 s)" "$st in $ms ms $rest" "$(verdict "[[ $st == 50[23] ]] && [ $ms -lt 1000 ]")"
ops_mkimg tiny 1KiB
t=$(now_ms); ops_push tiny "$OPS_HOST:$l_direct/faults/tiny:tiny"; rc=$?; took=$(ms_since "$t")
row "$scen" "skopeo push of a small image while a is down" "fails at once with the status" "exit $rc after ${took} ms: $(ops_why tiny push)" \
  "$(verdict "[ $rc != 0 ] && [ $took -lt 5000 ]")"
ops_registry_start a "$ra"; t=$(now_ms)
w=$(wait_up "$l_direct")
row "$scen" "a restarted: GET /v2/ through gantry" "200 again without touching gantry" "200 after $w" "$(verdict "[ '$w' != never ]")"
read -r st ms rest <<<"$(probe "$l_direct" "/v2/faults/k1/blobs/$(blob_of k1)" -I)"
row "$scen" "HEAD of the interrupted layer" "404: no partial blob was committed" "$st" "$(verdict "[ $st = 404 ]")"
t=$(now_ms); ops_push k1 "$OPS_HOST:$l_direct/faults/k1:k1"; rc=$?; took=$(ms_since "$t")
if [ $rc = 0 ] && ops_pull "$OPS_HOST:$l_direct/faults/k1:k1" k1 && same=$(ops_same_image k1); then
  row "$scen" "push again, pull back" "both succeed, identical" "push ${took} ms; $same" PASS
else
  row "$scen" "push again, pull back" "both succeed, identical" "push exit $rc $(ops_why k1 push) $(ops_why k1 pull) ${same:-}" FAIL
fi
gantry_same

# ---------------------------------------------------------------- kill -9 during a pull
scen="kill during pull"
ops_mkimg k2 "$layer"
ops_push k2 "$OPS_HOST:$l_direct/faults/k2:k2" || row "$scen" "seed push" ok "$(ops_why k2 push)" FAIL
k2blob=$(blob_of k2)
( t=$(now_ms); ops_pull "$OPS_HOST:$l_paced/faults/k2:k2" k2; echo "$? $(now_ms)" >"$OPS_WORK/k2.pullrc" ) &
pull_pid=$!
( curl -s --cacert "$OPS_CA" -m 60 -o "$OPS_WORK/k2.curl" -w '%{http_code} %{size_download}' \
    "https://$OPS_HOST:$l_paced/v2/faults/k2/blobs/$k2blob" >"$OPS_WORK/k2.curlout" 2>/dev/null
  echo "$? $(now_ms)" >"$OPS_WORK/k2.curlrc" ) &
curl_pid=$!
# kill once the layer (skopeo) and the blob (curl) are both a MiB or more under way
for _ in $(seq 200); do
  [ "$(awk '$1 >= 1048576' "$OPS_WORK/paced.status" 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1
done
under_way=$(sort -n "$OPS_WORK/paced.status" | awk '{printf "%s%.1f", (NR > 1 ? ", " : ""), $1 / 1048576}')
ops_stop reg-a KILL; t_kill=$(now_ms)
wait "$pull_pid" "$curl_pid"
read -r rc tend <<<"$(cat "$OPS_WORK/k2.pullrc")"
bad=$(python3 - "$OPS_WORK/pulled/k2" <<'PY'
import hashlib, os, sys
d = os.path.join(sys.argv[1], "blobs", "sha256")
bad = []
for f in (os.listdir(d) if os.path.isdir(d) else []):
    h = hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
    if h != f:
        bad.append(f[:12])
print(" ".join(bad))
PY
)
row "$scen" "skopeo pull (answers paced at $pace MiB/s), a killed (-9) with answers under way (MiB: $under_way)" "pull fails with an error; nothing written that does not match its digest" \
  "exit $rc after $((tend - t_kill)) ms: $(ops_why k2 pull)${bad:+; CORRUPT blobs: $bad}" "$(verdict "[ $rc != 0 ] && [ -z '$bad' ] && [ $((tend - t_kill)) -lt 15000 ]")"
read -r crc cend <<<"$(cat "$OPS_WORK/k2.curlrc")"
read -r cst csize <<<"$(cat "$OPS_WORK/k2.curlout" 2>/dev/null || echo "000 0")"
want=$(stat -c %s "$OPS_WORK/img/k2/blobs/sha256/${k2blob#sha256:}")
row "$scen" "curl GET of the $layer blob, same kill" "transfer cut (curl error), never a clean end with fewer bytes" \
  "status $cst, curl exit $crc after $((cend - t_kill)) ms, $csize of $want bytes" \
  "$(verdict "[ $crc != 0 ] || { [ $csize = $want ] && cmp -s '$OPS_WORK/k2.curl' '$OPS_WORK/img/k2/blobs/sha256/${k2blob#sha256:}'; }")"
ops_registry_start a "$ra"
w=$(wait_up "$l_paced")
row_pull_k2 "$l_paced" "a restarted: pull again (paced)" "recovers without touching gantry, identical" "first 200 after $w"
gantry_same

# ---------------------------------------------------------------- stalled upstream
scen="stalled upstream"
read -r st ms rest <<<"$(probe "$l_stalled" /v2/)"
row "$scen" "GET /v2/, upstream accepts and never answers" "504 after the idle timeout (${idle} s), not a hang" "$st in $ms ms $rest" \
  "$(verdict "[ $st = 504 ] && [ $ms -ge $((idle * 1000 - 500)) ] && [ $ms -lt $((idle * 1000 + 3000)) ]")"
spids=()
for i in $(seq 8); do ( probe "$l_stalled" "/v2/faults/k2/manifests/k2" >"$OPS_WORK/stallprobe.$i" ) & spids+=($!); done
t=$(now_ms); lat=()
for i in $(seq 20); do read -r s m _ <<<"$(probe "$l_direct" /v2/)"; lat+=("$s:$m"); done
wait "${spids[@]}"
sts=$(cat "$OPS_WORK"/stallprobe.* | awk '{print $1}' | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')
mx=$(cat "$OPS_WORK"/stallprobe.* | awk '{print $2}' | sort -n | tail -1)
okd=$(printf '%s\n' "${lat[@]}" | grep -c '^200:'); mxd=$(printf '%s\n' "${lat[@]}" | cut -d: -f2 | sort -n | tail -1)
row "$scen" "8 manifest GETs at once on the stalled route; 20 GETs on a healthy route meanwhile" "8 x 504 within the timeout; the healthy route unaffected" \
  "stalled: ${sts}(slowest $mx ms); healthy: $okd/20 x 200, slowest $mxd ms" \
  "$(verdict "[ '$(echo $sts)' = '504 x8' ] && [ $okd = 20 ]")"
if [ $short = 0 ]; then   # (--short: the GET above shows it)
  t=$(now_ms); ops_pull "$OPS_HOST:$l_stalled/faults/k2:k2" k2s; rc=$?; took=$(ms_since "$t")
  row "$scen" "skopeo pull through the stalled route" "fails with an error, no hang" "exit $rc after $took ms: $(ops_why k2s pull)" \
    "$(verdict "[ $rc != 0 ] && [ $took -lt $((idle * 3000 + 10000)) ]")"
fi
setmode stall "stall-after 1M"
t=$(now_ms)
res=$(curl -s --cacert "$OPS_CA" -m 60 -o "$OPS_WORK/stall.curl" -w '%{http_code} %{size_download}' "https://$OPS_HOST:$l_stalled/v2/faults/k2/blobs/$k2blob" 2>/dev/null); crc=$?; took=$(ms_since "$t")
read -r cst csize <<<"$res"
row "$scen" "blob GET, the upstream stalls after 1 MiB of the answer" "200 then the transfer is cut after the idle timeout (curl error), never a clean short end" \
  "status $cst, curl exit $crc after $took ms, $csize of $want bytes" \
  "$(verdict "[ $crc != 0 ] && [ $csize -lt $want ] && [ $took -lt $((idle * 1000 + 5000)) ]")"
setmode stall pass
w=$(wait_up "$l_stalled")
row_pull_k2 "$l_stalled" "the upstream answers again" "next request 200, pull identical, no restart" "200 after $w"
gantry_same

# ---------------------------------------------------------------- slow upstream
scen="slow upstream"
read -r st ms rest <<<"$(probe "$l_slow" /v2/)"
row "$scen" "GET /v2/, every answer held 1 s (timeout ${idle} s)" "200 after ~1 s" "$st in $ms ms $rest" "$(verdict "[ $st = 200 ] && [ $ms -ge 900 ]")"
if [ $short = 0 ]; then   # (--short: the GET above shows it)
  row_pull_k2 "$l_slow" "skopeo pull, each answer held 1 s" "succeeds, identical, slower"
fi
setmode slow "slow $((idle + 3))"
read -r st ms rest <<<"$(probe "$l_slow" /v2/)"
row "$scen" "GET /v2/, answers held $((idle + 3)) s (above the timeout)" "504 after ${idle} s" "$st in $ms ms $rest" \
  "$(verdict "[ $st = 504 ] && [ $ms -lt $((idle * 1000 + 2500)) ]")"
setmode slow pass
w=$(wait_up "$l_slow")
read -r st ms rest <<<"$(probe "$l_slow" /v2/)"
row "$scen" "the upstream is fast again" "200 at once" "$st in $ms ms (first 200 after $w)" "$(verdict "[ $st = 200 ] && [ $ms -lt 1000 ]")"
gantry_same

# ---------------------------------------------------------------- two instances (upstream pools)
if [ $pools = 1 ]; then
  . "$here/ops/faults-pool.sh"
else
  row "two instances" "pool [a, b]: kill one, stall one, slow one" "clients succeed on the other instance" \
    "SKIPPED: this distribution has no upstream pools ('gantry check' refuses urls = [...]: $(grep -m1 'urls' "$OPS_WORK/logs/pool-check.log" | cut -c1-100))" SKIP
fi

# ---------------------------------------------------------------- report
warns=$(grep -c ':WARN :' "$OPS_WORK/logs/gantry.log"); errs=$(grep -c ':ERROR :\|^[[:space:]]at ' "$OPS_WORK/logs/gantry.log")
# what the metrics say per upstream (upstream-errors: failures gantry blamed on the upstream)
upm=$(curl -s -m 5 "http://127.0.0.1:$admin/metrics" | python3 -c '
import json, sys
m = json.load(sys.stdin)["meters"]
names = sorted({k.split(".")[2] for k in m if k.startswith("gantry.upstream.")})
print("; ".join("%s: %s" % (n, ", ".join("%s %d" % (k, m["gantry.upstream.%s.%s" % (n, k)]["count"])
      for k in ("responses.2xx", "responses.5xx", "upstream-errors", "client-errors") if "gantry.upstream.%s.%s" % (n, k) in m)) for n in names))
' 2>/dev/null)
{
  echo "| scenario | step | expected | observed | verdict |"
  echo "|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$results"
  echo
  echo "metrics per upstream at the end: ${upm:-unavailable}"
  echo
  echo "gantry: PID $gpid throughout ($(ops_pid_ours "$gpid" && echo alive at the end || echo GONE)); its log has $warns WARN lines (instances out of service and back, with their reason) and $errs ERROR or stack-trace lines; idle timeout ${idle}s, layers $layer"
} >"$OPS_WORK/faults.md"
cat "$OPS_WORK/faults.md"
fails=$(awk -F'\t' '$5 == "FAIL"' "$results" | wc -l)
echo "$(awk -F'\t' '$5 == "PASS"' "$results" | wc -l) passed, $fails failed, $(awk -F'\t' '$5 == "WARN"' "$results" | wc -l) warnings (not failures), $(awk -F'\t' '$5 == "SKIP"' "$results" | wc -l) skipped"
[ "$fails" = 0 ] && ops_pid_ours "$gpid"
