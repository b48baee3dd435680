#!/usr/bin/env bash
# Scale-out (issue 14): two gantry replicas behind HAProxy in TCP mode with PROXY protocol v2,
# real docker-registry backends laid out like Nexus, skopeo over TLS with a private CA.
#
#   bench/scale-out.sh                 # full run: 8 workers x 2 rounds of push + pull, 48 MiB layers;
#                                      # runs term, drain, kill, roll (~7 min on a busy 2-core machine)
#   bench/scale-out.sh --short         # CI: 8 workers x 1 round, 8 MiB layers; term, kill, roll (~2 min)
#   bench/scale-out.sh --tarball /tmp/gantry.tar.gz --work /tmp/so --keep --out /tmp/so.json
#   SCALE_RUNS=kill SCALE_LAYER=64MiB SCALE_ROUNDS=3 bench/scale-out.sh
# Environment: SCALE_LAYER, SCALE_WORKERS (8), SCALE_ROUNDS, SCALE_RETRIES (2), SCALE_RUNS,
# SCALE_LB_DRAIN (30 s), SCALE_STOP_AFTER (60 s), SCALE_SHUTDOWN_GRACE (30s), SCALE_SHUTDOWN_DELAY (3s), SCALE_ACC_ROOT,
# HAPROXY; docs/scale-out.md has the table.
#
# Everything on 127.0.0.1, every port picked free at start (nothing fixed, so it runs beside the
# acceptance harness and other benchmarks):
#
#   skopeo / curl --TLS--> HAProxy :F (mode tcp, send-proxy-v2, leastconn,
#                                      health: GET /ready on each admin port)
#                             |--PROXY v2 + TLS--> gantry a :A (admin :AA)  --http--> hosted registry
#                             '--PROXY v2 + TLS--> gantry b :B (admin :BA)  --http--> group registry
#
# Two docker-registry processes like one Nexus: "hosted" (push target, /repository/docker-hosted/)
# and "group" (a pull-through cache of hosted, /repository/docker-group/); gantry routes
# registry.gantry.test GET/HEAD to group and everything else to hosted. The PKI, host names,
# image builder and request loop are the acceptance harness's (../shared/acceptance/lib: pki.sh,
# hosts.sh, mkimage.py, reqloop.py; SCALE_ACC_ROOT to point elsewhere).
#
# Steps, each judged (the run exits 1 with "scale-out: FAILED: ..." lines when one fails):
#   address  a curl from 127.0.0.2 through HAProxy: gantry's access log and the registry's
#            X-Forwarded-For-derived remote address must say 127.0.0.2; a connection straight
#            to a replica without a PROXY header must be closed unanswered.
#   term     WORKERS concurrent skopeo workers, each ROUNDS x (push a fresh image, pull it back,
#            compare every blob byte for byte); replica a gets SIGTERM once half the first-round
#            pushes are done (the others still uploading, the first pulls running), and is
#            restarted once it has exited. Every failed client operation is retried up to
#            RETRIES times after 2 s, as a CI job would. Wanted: 0 operations failed after
#            retries, 0 corrupt (and the number that needed a retry is reported).
#   drain    (full run) the same, but HAProxy's runtime API drains a first ("set server gantry/a
#            state drain") and the script waits until a has no connection (SCALE_LB_DRAIN s at
#            most) before the SIGTERM: the operator's procedure in docs/scale-out.md.
#   kill     the same with SIGKILL: operations may fail once but must succeed on a retry.
#            Reports how long HAProxy took to mark the replica DOWN.
#   roll     GET /v2/ through HAProxy every 50 ms, each on a fresh TLS connection (reqloop.py),
#            while a new host (project-c.gantry.test -> hosted, its own certificate) is rolled
#            to a, then b, with bin/gantry reload, then rolled back the same way. Wanted: every
#            reload accepted, project-c routed after the roll and refused after the roll-back,
#            0 failed loop requests.
#
# Output: a summary on stdout and WORK/result.json (copied to --out FILE). WORK (default: a fresh
# /tmp/gantry-scale-out.*) is removed at the end unless --keep or a failure (then its logs stay).
# Needs: docker-registry, skopeo, haproxy, curl, openssl, python3, setsid, and Java for gantry.
# Writes the acceptance harness's /etc/hosts block (lib/hosts.sh install) when the names are missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
short=0 keep=0 tarball="" work="" out=""
while [ $# -gt 0 ]; do
  case $1 in
    --short) short=1; shift ;;
    --keep) keep=1; shift ;;
    --tarball) tarball=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "scale-out: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$short" = 1 ]; then
  LAYER=${SCALE_LAYER:-8MiB} ROUNDS=${SCALE_ROUNDS:-1}
else
  LAYER=${SCALE_LAYER:-48MiB} ROUNDS=${SCALE_ROUNDS:-2}
fi
WORKERS=${SCALE_WORKERS:-8} RETRIES=${SCALE_RETRIES:-2}
# the stop runs, in order; drain = HAProxy's runtime API drains replica a first, then SIGTERM
if [ "$short" = 1 ]; then RUNS=${SCALE_RUNS:-term kill}; else RUNS=${SCALE_RUNS:-term drain kill}; fi
STOP_AFTER=${SCALE_STOP_AFTER:-60}         # at most this many seconds into a run before the replica is signalled
GRACE=${SCALE_SHUTDOWN_GRACE:-30s}         # gantry's shutdown-grace
DELAY=${SCALE_SHUTDOWN_DELAY:-3s}          # gantry's shutdown-delay: longer than HAProxy's fall x inter (2 x 1 s)
ACC=${SCALE_ACC_ROOT:-$root/../shared/acceptance}
HAPROXY=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}
SKOPEO_TIMEOUT=${SCALE_SKOPEO_TIMEOUT:-180}
HOST=registry.gantry.test NEWHOST=project-c.gantry.test

for t in docker-registry skopeo curl openssl python3 setsid timeout "$HAPROXY"; do
  command -v "$t" >/dev/null || { echo "scale-out: missing tool $t" >&2; exit 2; }
done
for f in lib/pki.sh lib/hosts.sh lib/mkimage.py lib/reqloop.py; do
  [ -f "$ACC/$f" ] || { echo "scale-out: the acceptance harness is missing ($ACC/$f); set SCALE_ACC_ROOT" >&2; exit 2; }
done
if [ -z "$tarball" ]; then
  tarball=$(ls -t "$root"/dist/target/gantry-*.tar.gz 2>/dev/null | head -1 || true)
fi
[ -n "$tarball" ] && [ -f "$tarball" ] || { echo "scale-out: no tarball; build: mvn -B -q package -DskipTests" >&2; exit 2; }

[ -n "$work" ] || work=$(mktemp -d /tmp/gantry-scale-out.XXXXXX)
W=$(mkdir -p "$work" && cd "$work" && pwd)
mkdir -p "$W/pids" "$W/logs"
PY="python3 $here/scale-out.py"
T_START=$(date +%s)
FAILURES=() WORKER_PIDS=()

say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
failed() { FAILURES+=("$*"); say "FAILED: $*"; }
now_ms() { date +%s%3N; }

# A process is ours while it is alive and its command line names our work directory.
ours() { [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF "$W"; }
alive() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }   # not a zombie
pid_of() { cat "$W/pids/$1.pid" 2>/dev/null || true; }
# bg NAME LOG CMD...: start CMD in its own session, record its PID as NAME
bg() {
  local name=$1 log=$2; shift 2
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$W/pids/$name.pid"
  disown $!   # no "Killed" notices from bash: these are waited for by PID
}
stop_proc() { # stop_proc NAME [SIGNAL [SECONDS]]: signal (TERM), wait up to SECONDS (10), then KILL
  local pid; pid=$(pid_of "$1")
  ours "$pid" || { rm -f "$W/pids/$1.pid"; return 0; }
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  for _ in $(seq 1 $(( ${3:-10} * 10 ))); do ours "$pid" || break; sleep 0.1; done
  ours "$pid" && kill -KILL "$pid" 2>/dev/null
  rm -f "$W/pids/$1.pid"
}
cleanup() {
  local rc=$? f
  trap - EXIT INT TERM
  [ -f "$W/loop.stop" ] || touch "$W/loop.stop" 2>/dev/null || true
  for f in "${WORKER_PIDS[@]}"; do   # workers still running (interrupted): their skopeo, then them
    pkill -TERM -P "$f" 2>/dev/null || true; kill -TERM "$f" 2>/dev/null || true
  done
  for f in "$W"/pids/*.pid; do [ -f "$f" ] && stop_proc "$(basename "$f" .pid)"; done
  rm -rf "$W"/img "$W"/pulled "$W"/reg/*/data 2>/dev/null || true
  if [ "$rc" = 0 ] && [ "$keep" = 0 ]; then rm -rf "$W"; else say "work directory kept: $W"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM

# ------------------------------------------------------------------ setup
mapfile -t P < <($PY ports 7)
P_HOSTED=${P[0]} P_GROUP=${P[1]} P_FRONT=${P[2]}
declare -A PORT=([a]=${P[3]} [b]=${P[4]}) ADMIN=([a]=${P[5]} [b]=${P[6]})
say "work $W; HAProxy :$P_FRONT; replicas a :${PORT[a]} (admin ${ADMIN[a]}), b :${PORT[b]} (admin ${ADMIN[b]});" \
  "registries hosted :$P_HOSTED group :$P_GROUP; layers $LAYER, $WORKERS workers x $ROUNDS rounds"

getent hosts "$HOST" >/dev/null && getent hosts "$NEWHOST" >/dev/null || bash "$ACC/lib/hosts.sh" install
timeout 60 bash "$ACC/lib/pki.sh" "$W/pki" "$HOST" "$NEWHOST" >/dev/null
CA=$W/pki/ca.crt CERTDIR=$W/pki/client
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$W/policy.json"
echo '{}' >"$W/auth.json"

registry_start() { # NAME PORT PREFIX [REMOTE]
  local name=$1 port=$2 prefix=$3 remote=${4:-} d="$W/reg/$1" v unset_env=()
  mkdir -p "$d/data"
  cat >"$d/config.yml" <<YML
version: 0.1
log: { level: info, formatter: text, accesslog: { disabled: false } }
storage:
  filesystem: { rootdirectory: $d/data }
  delete: { enabled: true }
  maintenance: { uploadpurging: { enabled: false } }
http:
  addr: 127.0.0.1:$port
  prefix: $prefix
  secret: gantry-scale-out-$name
  headers: { X-Acceptance-Backend: [$name] }
YML
  [ -z "$remote" ] || printf 'proxy:\n  remoteurl: %s\n' "$remote" >>"$d/config.yml"
  for v in $(compgen -e); do [[ $v == REGISTRY_* ]] && unset_env+=(-u "$v"); done
  bg "reg-$name" "$d/registry.log" env "${unset_env[@]}" docker-registry serve "$d/config.yml"
  for _ in $(seq 1 100); do
    curl -s -o /dev/null -m 1 "http://127.0.0.1:$port${prefix}v2/" && return 0
    sleep 0.1
  done
  echo "scale-out: registry $name did not start; $d/registry.log:" >&2; tail -5 "$d/registry.log" >&2; return 1
}
registry_start hosted "$P_HOSTED" /repository/docker-hosted/
registry_start group "$P_GROUP" /repository/docker-group/ "http://127.0.0.1:$P_HOSTED/repository/docker-hosted/"

HOME_G=$W/gantry
mkdir -p "$HOME_G" && tar xzf "$tarball" -C "$HOME_G" --strip-components=1

# gantry_conf REPLICA [with-project-c]: the replica's config (only ports differ between replicas)
gantry_conf() {
  local r=$1 extra_cert="" extra_route=""
  if [ "${2:-}" = with-project-c ]; then
    extra_cert="{ cert = \"$W/pki/$NEWHOST.crt\", key = \"$W/pki/$NEWHOST.key\" }"
    extra_route="{ name = project-c, host = $NEWHOST, to = hosted }"
  fi
  cat <<EOF
# gantry replica $r behind HAProxy (bench/scale-out.sh); replicas differ by their ports only.
gantry {
  listeners = [
    # TLS passes through HAProxy: the PROXY v2 header, then the client's own TLS handshake (SNI).
    { name = lb, host = 127.0.0.1, port = ${PORT[$r]}, proxy-protocol = true, proxy-protocol-from = ["127.0.0.1"] }
  ]
  tls.certificates = [
    { cert = "$W/pki/$HOST.crt", key = "$W/pki/$HOST.key" }
    { cert = "$W/pki/wildcard.gantry.test.crt", key = "$W/pki/wildcard.gantry.test.key" }
    $extra_cert
  ]
  upstreams {
    hosted = "http://127.0.0.1:$P_HOSTED/repository/docker-hosted/"
    group  = "http://127.0.0.1:$P_GROUP/repository/docker-group/"
  }
  routes = [
    { name = pull, host = $HOST, method = [GET, HEAD], to = group }
    { name = push, host = $HOST, to = hosted }
    $extra_route
  ]
  admin { host = 127.0.0.1, port = ${ADMIN[$r]} }   # HAProxy checks GET /ready here
  access-log.path = "$W/$r/access.log"
  shutdown-grace = $GRACE
  shutdown-delay = $DELAY                           # not ready (HAProxy takes it out), still serving
  reload.watch = false                              # rolled by bin/gantry reload, one replica at a time
}
EOF
}

ready() { [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:${ADMIN[$1]}/ready")" = 200 ]; }
replica_start() { # REPLICA: start it and wait for /ready
  local r=$1 pid
  mkdir -p "$W/$r"
  [ -f "$W/$r/gantry.conf" ] || gantry_conf "$r" >"$W/$r/gantry.conf"
  GANTRY_JAVA_OPTS="${GANTRY_JAVA_OPTS:-} -Xlog:gc,safepoint:file=$W/$r/gc-$(date +%H%M%S).log:uptime,time" \
    bg "gantry-$r" "$W/$r/gantry.log" "$HOME_G/bin/gantry" run "$W/$r/gantry.conf"
  pid=$(pid_of "gantry-$r")
  for _ in $(seq 1 600); do
    ready "$r" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "scale-out: gantry $r did not become ready; $W/$r/gantry.log:" >&2; tail -20 "$W/$r/gantry.log" >&2; return 1
}
gantry_conf a >"$W/logs/check.conf"
"$HOME_G/bin/gantry" check "$W/logs/check.conf" >"$W/logs/check.log" 2>&1 \
  || { cat "$W/logs/check.log" >&2; echo "scale-out: the generated config is invalid" >&2; exit 1; }
# On JDK < 19 the first `bin/gantry run` of an installation records its AppCDS archive when it
# exits (~6 s after the listeners closed); every later start reads it. Full run: start and stop
# once first, as a first start in production would, so that the stops measured are ordinary ones.
# Short run: no archive at all (GANTRY_CDS=off), which saves that start and stop.
if [ "$short" = 1 ]; then
  export GANTRY_CDS=${GANTRY_CDS:-off}
else
  replica_start a
  stop_proc gantry-a TERM 60
  mv "$W/a/gantry.log" "$W/logs/gantry-a.first.log"; rm -f "$W/a/access.log"
fi
replica_start a
replica_start b

cat >"$W/haproxy.cfg" <<EOF
# HAProxy in front of gantry replicas (bench/scale-out.sh, docs/scale-out.md).
global
    log stdout format iso local0 info
    stats socket $W/haproxy.sock mode 600 level admin
    maxconn 4096

defaults
    mode tcp                    # TLS passes through: SNI and certificates are gantry's
    log global
    option tcplog
    option dontlognull
    timeout connect 2s
    timeout client 10m          # long pushes and pulls; gantry's own idle timeouts still apply
    timeout server 10m
    timeout check 1s
    retries 3
    option redispatch 1         # a refused connection (replica stopping) is retried on another replica

frontend registry
    bind 127.0.0.1:$P_FRONT
    default_backend gantry

backend gantry
    balance leastconn           # long transfers: spread by open connections
    option httpchk
    http-check send meth GET uri /ready
    http-check expect status 200
    # PROXY v2 on the traffic only (the health check goes to the admin port, plain HTTP)
    default-server send-proxy-v2 check inter 1s fastinter 250ms downinter 1s fall 2 rise 2
    server a 127.0.0.1:${PORT[a]} check port ${ADMIN[a]}
    server b 127.0.0.1:${PORT[b]} check port ${ADMIN[b]}
EOF
"$HAPROXY" -c -q -f "$W/haproxy.cfg" || { echo "scale-out: haproxy rejects $W/haproxy.cfg" >&2; exit 1; }
bg haproxy "$W/logs/haproxy.log" "$HAPROXY" -db -f "$W/haproxy.cfg"
for _ in $(seq 1 50); do [ -S "$W/haproxy.sock" ] && break; sleep 0.1; done
for r in a b; do
  $PY wait "$W/haproxy.sock" "$r" UP 15 >/dev/null || { echo "scale-out: HAProxy never saw replica $r UP" >&2; exit 1; }
done
say "setup done in $(( $(date +%s) - T_START ))s"

# ------------------------------------------------------------------ address: the real client address
step_address() {
  local tok code line reg
  tok="so$RANDOM$RANDOM"
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -m 10 --interface 127.0.0.2 \
    -A "scale-out-probe/$tok" "https://$HOST:$P_FRONT/v2/?probe=$tok") || true
  [ "$code" = 200 ] || { failed "address: GET /v2/ from 127.0.0.2 through HAProxy -> $code, want 200"; return; }
  for _ in $(seq 1 50); do   # the access log line is written after the response
    line=$(cat "$W"/a/access.log "$W"/b/access.log 2>/dev/null | grep -F "$tok" | head -1) || true
    [ -n "$line" ] && grep -qF "$tok" "$W/reg/group/registry.log" && break
    sleep 0.1
  done
  ADDR_GANTRY=${line%% *}
  [ "$ADDR_GANTRY" = 127.0.0.2 ] || failed "address: gantry's access log shows client '${ADDR_GANTRY:-no line}', want 127.0.0.2"
  # distribution logs http.request.remoteaddr from X-Forwarded-For / X-Real-IP; its TCP peer is gantry
  reg=$(grep -F "$tok" "$W/reg/group/registry.log" | grep -o 'http.request.remoteaddr="\?[0-9.]*' | head -1) || true
  ADDR_REGISTRY=${reg##*[=\"]}
  [ "$ADDR_REGISTRY" = 127.0.0.2 ] || failed "address: the group registry saw remote address '${ADDR_REGISTRY:-none}', want 127.0.0.2"
  # straight to a replica, without a PROXY header: closed unanswered
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -m 5 --connect-to "$HOST:443:127.0.0.1:${PORT[a]}" \
    "https://$HOST/v2/") || true
  ADDR_DIRECT=$code
  [ "$code" = 000 ] || failed "address: a connection to replica a without a PROXY header got HTTP $code, want it closed"
  say "address: gantry logged ${ADDR_GANTRY:-?}, registry saw ${ADDR_REGISTRY:-?}, without PROXY header: ${code} (closed)"
}

# ------------------------------------------------------------------ term / kill: transfers while a replica goes away
skopeo_copy() { # SRC DST DIGESTFILE ERRFILE CERTFLAG
  REGISTRY_AUTH_FILE=$W/auth.json timeout -k 5 "$SKOPEO_TIMEOUT" skopeo --policy "$W/policy.json" copy --quiet \
    --preserve-digests --retry-times 0 "$5" "$CERTDIR" --digestfile "$3" "$1" "$2" >/dev/null 2>"$4"
}
# op RUN KIND NAME SRC DST DIGESTFILE: one client operation with up to RETRIES retries, logged to RUN/ops.tsv
op() {
  local run=$1 kind=$2 name=$3 src=$4 dst=$5 df=$6 flag n first=""
  [ "$kind" = push ] && flag=--dest-cert-dir || flag=--src-cert-dir
  for n in $(seq 1 $((RETRIES + 1))); do
    [ "$kind" = pull ] && rm -rf "$W/pulled/$run/$name"
    if skopeo_copy "$src" "$dst" "$df" "$W/$run/$name.$kind.err" "$flag"; then
      printf '%s\t%s\t%d\tok\t%s\n' "$kind" "$name" "$n" "$first" >>"$W/$run/ops.tsv"; return 0
    fi
    [ -n "$first" ] || first=$(tail -1 "$W/$run/$name.$kind.err" | sed -e 's/^time="[^"]*" level=[a-z]* msg=//' \
      -e 's/_state=[A-Za-z0-9_=%-]*/_state=.../g' | tr '\t' ' ' | cut -c1-300)
    echo "$(date +%T.%3N) $kind $name attempt $n failed: $(tail -1 "$W/$run/$name.$kind.err")" >>"$W/$run/errors.log"
    sleep 2
  done
  printf '%s\t%s\t%d\tfailed\t%s\n' "$kind" "$name" "$((RETRIES + 1))" "$first" >>"$W/$run/ops.tsv"; return 1
}
worker() { # RUN I: ROUNDS x (push image, pull it back, compare)
  local run=$1 i=$2 k name ref res
  for k in $(seq 1 "$ROUNDS"); do
    name="w$i-r$k" ref="docker://$HOST:$P_FRONT/scale/$run-w$i:r$k"
    op "$run" push "$name" "oci:$W/img/$run/$name:$name" "$ref" "$W/$run/$name.pushed" || continue
    op "$run" pull "$name" "$ref" "oci:$W/pulled/$run/$name:$name" "$W/$run/$name.pulled" || continue
    if res=$($PY same "$W/img/$run/$name" "$W/pulled/$run/$name" "$name" "$W/$run/$name.pushed" "$W/$run/$name.pulled"); then
      printf 'verify\t%s\t1\tok\t%s\n' "$name" "$res" >>"$W/$run/ops.tsv"
    else
      printf 'verify\t%s\t1\tcorrupt\t%s\n' "$name" "$res" >>"$W/$run/ops.tsv"
    fi
    rm -rf "$W/pulled/$run/$name"
  done
}

declare -A RES
step_stop() { # RUN SIGNAL [drain-first]: workers run; replica a gets SIGNAL; it is restarted once gone
  local run=$1 sig=$2 how=${3:-} i k n pids=() t0 t_sig t_restart apid sess exit_ms detect_ms back_ms summary drained
  local lb_drain_ms=0 t rpid
  mkdir -p "$W/$run" "$W/img/$run" "$W/pulled/$run"
  for i in $(seq 1 "$WORKERS"); do
    for k in $(seq 1 "$ROUNDS"); do
      python3 "$ACC/lib/mkimage.py" --out "$W/img/$run/w$i-r$k" --tag "w$i-r$k" --layer "tar:$LAYER" \
        --layer gzip:256KiB --label "org.gantry.scale-out=$run" >/dev/null
    done
  done
  say "$run: $WORKERS workers x $ROUNDS rounds (push + pull of a $LAYER layer); SIG$sig to replica a once $(( (WORKERS + 1) / 2 )) pushes are done"
  t0=$(now_ms)
  for i in $(seq 1 "$WORKERS"); do worker "$run" "$i" & pids+=($!); done
  WORKER_PIDS=("${pids[@]}")
  # Signal once half the first-round pushes are done: the other pushes are still sending their
  # layers and the first pulls have started (or after SCALE_STOP_AFTER s at most).
  for _ in $(seq 1 $((STOP_AFTER * 10))); do
    n=$(grep -c '^push' "$W/$run/ops.tsv" 2>/dev/null) || n=0
    [ "$n" -ge $(( (WORKERS + 1) / 2 )) ] && break
    sleep 0.1
  done
  if [ "$how" = drain-first ]; then
    # What an operator can do today: take a out of HAProxy (no new connections), wait until its
    # connections are gone (at most SCALE_LB_DRAIN s), then SIGTERM.
    t=$(now_ms)
    $PY cmd "$W/haproxy.sock" "set server gantry/a state drain" >/dev/null
    for _ in $(seq 1 $(( ${SCALE_LB_DRAIN:-30} * 10 ))); do
      [ "$($PY stat "$W/haproxy.sock" | awk '$1 == "a" { print $3 }')" = 0 ] && break
      sleep 0.1
    done
    lb_drain_ms=$(( $(now_ms) - t ))
    say "$run: HAProxy drained a for $lb_drain_ms ms"
  fi
  sess=$($PY stat "$W/haproxy.sock" | awk '$1 == "a" { print $3 }')
  apid=$(pid_of gantry-a)
  t_sig=$(now_ms)
  kill "-$sig" "$apid"
  # what /ready answers while a stops, one line per change (refused: connection refused)
  ( prev=""; while alive "$apid"; do
      c=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:${ADMIN[a]}/ready") \
        || case $? in 7) c=refused ;; 28) c=timeout ;; *) c="error" ;; esac
      [ "$c" = "$prev" ] || echo "+$(( $(now_ms) - t_sig ))ms:$c"; prev=$c; sleep 0.05
      [ "$(( $(now_ms) - t_sig ))" -lt 60000 ] || break
    done ) >"$W/$run/ready.log" 2>/dev/null &
  ( for _ in $(seq 1 3000); do   # when the process is gone (first seen gone: /proc of a dying JVM flickers)
      if ! alive "$apid"; then echo "$(( $(now_ms) - t_sig ))" >"$W/$run/exit_ms"; break; fi
      sleep 0.02
    done ) &
  rpid=$!
  detect_ms=$($PY wait "$W/haproxy.sock" a DOWN 60 "$t_sig") || detect_ms=timeout
  wait "$rpid" || true
  exit_ms=$(cat "$W/$run/exit_ms" 2>/dev/null || echo 60000)
  # Seen gone, but a dying JVM's /proc entry can read as alive for a moment more (CI, 2026-12-07:
  # "still running 3293 ms after SIGTERM", and the KILL then found no such process): give it 5 s.
  [ -f "$W/$run/exit_ms" ] && for _ in $(seq 1 50); do alive "$apid" || break; sleep 0.1; done
  alive "$apid" && { failed "$run: replica a still running ${exit_ms} ms after SIG$sig"; kill -KILL "$apid"; }
  drained=$($PY drained "$W/a/access.log" "$t_sig" "/scale/$run-")
  say "$run: SIG$sig $(( t_sig - t0 )) ms in, a had $sess HAProxy sessions; marked DOWN after $detect_ms ms; exited after $exit_ms ms;" \
    "requests in flight at the signal that a completed: $drained; /ready meanwhile: $(tr '\n' ' ' <"$W/$run/ready.log"); restarting a"
  mv "$W/a/gantry.log" "$W/logs/gantry-a.$run.log"; mv "$W/a/access.log" "$W/logs/access-a.$run.log"
  t_restart=$(now_ms)
  replica_start a
  [ "$how" != drain-first ] || $PY cmd "$W/haproxy.sock" "set server gantry/a state ready" >/dev/null
  back_ms=$($PY wait "$W/haproxy.sock" a UP 60 "$t_restart") || back_ms=timeout
  for p in "${pids[@]}"; do wait "$p" || true; done
  WORKER_PIDS=()
  summary=$($PY ops "$W/$run/ops.tsv")
  RES[$run]=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(signal="SIG"+sys.argv[2], sessions_on_a=int(sys.argv[3] or 0), detect_down_ms=sys.argv[4], exit_ms=int(sys.argv[5]), back_up_ms=sys.argv[6], seconds=round(int(sys.argv[7])/1000, 1), cut_off=int(sys.argv[8]), signal_at_ms=int(sys.argv[9]), drained=sys.argv[10], ready_while_stopping=sys.argv[11].strip(), lb_drain_ms=int(sys.argv[12])); print(json.dumps(d))' \
    "$summary" "$sig" "$sess" "$detect_ms" "$exit_ms" "$back_ms" "$(( $(now_ms) - t0 ))" \
    "$(grep -c 'cut off' "$W/logs/gantry-a.$run.log" || true)" "$(( t_sig - t0 ))" "$drained" "$(tr '\n' ' ' <"$W/$run/ready.log")" "$lb_drain_ms")
  python3 - "$run" "${RES[$run]}" <<'PY' >&2
import json, sys
d = json.loads(sys.argv[2])
print("[%s] %d ops (%s), %d failed at first, %d ok on retry, %d failed after retries, %d corrupt; %.1f s"
      % (sys.argv[1], d["ops"], ", ".join("%s %d" % (k, v["total"]) for k, v in d["by_kind"].items()),
         d["first_try_failed"], d["ok_on_retry"], d["failed"], d["corrupt"], d["seconds"]))
for n in d["notes"][:12]:
    print("    " + n)
PY
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["failed"] == 0 and d["corrupt"] == 0 and d["ops"] == 2 * int(sys.argv[2]) * int(sys.argv[3]) else 1)' \
    "${RES[$run]}" "$WORKERS" "$ROUNDS" || failed "$run: client operations failed after retries or images differ (see above and $W/$run/errors.log)"
  [ "$detect_ms" != timeout ] || failed "$run: HAProxy did not mark replica a DOWN within 60 s"
  rm -rf "$W/img/$run" "$W/pulled/$run"
}

# ------------------------------------------------------------------ roll: config change by reload, one replica at a time
reload_replica() { # REPLICA MODE(with-project-c|without)
  local r=$1 t out srv
  gantry_conf "$r" "$2" >"$W/$r/gantry.conf.next" && mv "$W/$r/gantry.conf.next" "$W/$r/gantry.conf"
  t=$(now_ms)
  if out=$("$HOME_G/bin/gantry" reload "$W/$r/gantry.conf" 2>&1); then
    # bin/gantry reload is a JVM of its own; the server logs how long the reload itself took
    srv=$(grep -o 'reloaded .* in [0-9]* ms' "$W/$r/gantry.log" | tail -1 | grep -o '[0-9]* ms$' | cut -d' ' -f1) || true
    say "roll: replica $r reloaded ($2): bin/gantry reload took $(( $(now_ms) - t )) ms, the reload in the server ${srv:-?} ms"
    RELOADS+=("$(( $(now_ms) - t ))/${srv:-?}")
  else
    failed "roll: bin/gantry reload of replica $r ($2) refused: $(echo "$out" | tr '\n' ' ' | cut -c1-300)"
  fi
}
newhost_answers() { # N: statuses of N GET /v2/ on project-c through HAProxy, with the answering backend
  local i
  for i in $(seq 1 "$1"); do
    { curl -s -o /dev/null -D - --cacert "$CA" -m 5 "https://$NEWHOST:$P_FRONT/v2/" 2>/dev/null || true; } | tr -d '\r' \
      | awk 'BEGIN{s="000";m="-"} /^HTTP\//{s=$2} tolower($1)=="x-acceptance-backend:"{m=$2} END{print s "/" m}'
  done | sort | uniq -c | awk '{printf "%s%sx%s", sep, $1, $2; sep=" "}'
}
RELOADS=()
step_roll() {
  local before after back
  before=$(newhost_answers 4)
  [[ $before != *200/* ]] || failed "roll: $NEWHOST was routed before the roll ($before)"
  rm -f "$W/loop.stop"
  bg reqloop "$W/logs/reqloop.log" python3 "$ACC/lib/reqloop.py" --host "$HOST" --port "$P_FRONT" --ca "$CA" \
    --mode fresh --interval 0.05 --want-backend group --ua "scale-out-reqloop-$W" --out "$W/loop.json" \
    --stop "$W/loop.stop" --max-seconds 120
  sleep 2
  reload_replica a with-project-c; sleep 2
  reload_replica b with-project-c; sleep 1
  after=$(newhost_answers 10)
  [ "$after" = "10x200/hosted" ] || failed "roll: after the roll $NEWHOST answered $after, want 10x200/hosted"
  sleep 1
  reload_replica a without; sleep 2
  reload_replica b without; sleep 1
  back=$(newhost_answers 4)
  [[ $back != *200/* ]] || failed "roll: $NEWHOST still routed after the roll-back ($back)"
  sleep 1
  touch "$W/loop.stop"
  for _ in $(seq 1 100); do [ -s "$W/loop.json" ] && break; sleep 0.1; done
  [ -s "$W/loop.json" ] || { failed "roll: the request loop wrote no summary (see $W/logs/reqloop.log)"; return; }
  LOOP=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["modes"]["fresh"]; print(m["requests"], m["failed"], "; ".join(m["first_failures"][:3]))' "$W/loop.json")
  read -r LOOP_REQ LOOP_FAILED _ <<<"$LOOP"
  say "roll: $NEWHOST before: $before; after the roll: $after; after the roll-back: $back;" \
    "loop: $LOOP_REQ requests on fresh TLS connections, $LOOP_FAILED failed"
  [ "$LOOP_FAILED" = 0 ] && [ "$LOOP_REQ" -gt 0 ] || failed "roll: $LOOP_FAILED of $LOOP_REQ loop requests failed: ${LOOP#* * }"
  ROLL_BEFORE=$before ROLL_AFTER=$after ROLL_BACK=$back
}

t=$(date +%s); step_address
for run in $RUNS; do
  case $run in
    term) step_stop term TERM ;;
    drain) step_stop drain TERM drain-first ;;
    kill) step_stop kill KILL ;;
    *) echo "scale-out: unknown run $run in SCALE_RUNS" >&2; exit 2 ;;
  esac
  printf '%s\n' "${RES[$run]}" >"$W/$run/result.json"
  say "$run took $(( $(date +%s) - t ))s"; t=$(date +%s)
done
step_roll; say "roll took $(( $(date +%s) - t ))s"
# CPU per byte: HAProxy (whole run) and replica b (never restarted: its whole life), from their bytes
$PY traffic "$W/haproxy.sock" "$(pid_of haproxy)" "$(pid_of gantry-b)" >"$W/traffic.json" || echo '{}' >"$W/traffic.json"

python3 - "$W" "$RUNS" "${LOOP_REQ:-0}" "${LOOP_FAILED:-0}" "${RELOADS[*]:-}" \
  "${ADDR_GANTRY:-}" "${ADDR_REGISTRY:-}" "${ADDR_DIRECT:-}" "$LAYER" "$WORKERS" "$ROUNDS" "$RETRIES" \
  "$(( $(date +%s) - T_START ))" "${#FAILURES[@]}" <<'PY'
import json, sys
a = sys.argv
w, runs = a[1], a[2].split()
res = {run: json.load(open("%s/%s/result.json" % (w, run))) for run in runs}
res.update({"roll": {"loop_requests": int(a[3]), "loop_failed": int(a[4]), "reload_ms_cli_server": a[5].split()},
            "address": {"gantry_access_log": a[6], "registry_remoteaddr": a[7], "direct_without_proxy_header": a[8]},
            "layer": a[9], "workers": int(a[10]), "rounds": int(a[11]), "retries": int(a[12]),
            "seconds": int(a[13]), "failures": int(a[14])})
try:
    tr = json.load(open(w + "/traffic.json"))
    gib = lambda k: (tr[k]["bin"] + tr[k]["bout"]) / float(1 << 30)
    res["cpu"] = {"haproxy_gib": round(gib("registry/FRONTEND"), 2), "haproxy_cpu_s": tr["cpu_s"]["haproxy"],
                  "gantry_b_gib": round(gib("gantry/b"), 2), "gantry_b_cpu_s": tr["cpu_s"]["gantry_b"]}
except (OSError, KeyError, ValueError):
    res["cpu"] = {}
json.dump(res, open(w + "/result.json", "w"), indent=1)
for run in runs:
    d = res[run]
    print("scale-out %s (%s%s): %d ops, %d failed at first, %d ok on retry, %d failed, %d corrupt; a had %d sessions, "
          "HAProxy marked it DOWN after %s ms, it exited after %d ms; in flight at the signal and completed by a: %s%s"
          % (run, "HAProxy drain %d ms, then " % d["lb_drain_ms"] if d["lb_drain_ms"] else "", d["signal"], d["ops"],
             d["first_try_failed"], d["ok_on_retry"], d["failed"], d["corrupt"], d["sessions_on_a"], d["detect_down_ms"],
             d["exit_ms"], d["drained"], "; %d cut off at the grace" % d["cut_off"] if d["cut_off"] else ""))
r = res["roll"]
print("scale-out reload roll: %d requests, %d failed; reloads (bin/gantry reload / in the server) %s ms"
      % (r["loop_requests"], r["loop_failed"], " ".join(r["reload_ms_cli_server"])))
print("scale-out client address: gantry %s, registry %s; no PROXY header: %s" % (a[6], a[7], a[8]))
c = res["cpu"]
if c and c["haproxy_gib"] and c["gantry_b_gib"]:
    print("scale-out CPU: HAProxy %.2f s for %.2f GiB in+out (%.3f s/GiB); replica b %.1f s for %.2f GiB (%.2f s/GiB, "
          "handshakes, start and idle included)" % (c["haproxy_cpu_s"], c["haproxy_gib"], c["haproxy_cpu_s"] / c["haproxy_gib"],
          c["gantry_b_cpu_s"], c["gantry_b_gib"], c["gantry_b_cpu_s"] / c["gantry_b_gib"]))
PY
[ -z "$out" ] || cp "$W/result.json" "$out"
if [ ${#FAILURES[@]} -gt 0 ]; then
  for f in "${FAILURES[@]}"; do echo "scale-out: FAILED: $f" >&2; done
  exit 1
fi
echo "scale-out: PASSED in $(( $(date +%s) - T_START ))s"
