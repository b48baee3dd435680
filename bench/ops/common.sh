#!/usr/bin/env bash
# Shared by bench/soak.sh and bench/faults.sh (source it): the built distribution, real
# docker-registry backends, a private CA and skopeo, all on 127.0.0.1 with free ports.
# Images, the CA and the registry configuration are made the way the acceptance harness
# (../shared/acceptance, or $GANTRY_ACCEPTANCE) makes them: its lib/pki.sh and lib/mkimage.py
# are called as they are, the registry YAML is its lib/backends.sh's.
#
# Needs: OPS_WORK (work directory, wiped by ops_init), OPS_NAME (log prefix); OPS_HOST (default
# localhost) is the name clients use, its certificate's SAN. Go clients (skopeo) never use an
# HTTPS_PROXY for localhost, so a script that paces skopeo through the harness's connect_relay.py
# sets OPS_HOST=registry.gantry.test and calls ops_hosts (the harness's /etc/hosts block).
# Every process started here is recorded in $OPS_WORK/pids/NAME.pid and only ever signalled
# after checking that its command line still names $OPS_WORK (ops_pid_ours).

OPS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OPS_ROOT=$(cd "$OPS_HERE/../.." && pwd)

OPS_HOST=${OPS_HOST:-localhost}
ops_log() { printf '[%s %s] %s\n' "$(date +%T)" "$OPS_NAME" "$*" >&2; }
ops_die() { ops_log "FAILED: $*"; exit 2; }
now_ms() { date +%s%3N; }

# ops_init : work dir, tools, the acceptance library, the real python (not a pyenv shim)
ops_init() {
  local t
  for t in docker-registry skopeo curl openssl python3 setsid timeout; do
    command -v "$t" >/dev/null || ops_die "missing tool: $t"
  done
  OPS_ACC=${GANTRY_ACCEPTANCE:-$OPS_ROOT/../shared/acceptance}
  [ -f "$OPS_ACC/lib/mkimage.py" ] && [ -f "$OPS_ACC/lib/pki.sh" ] \
    || ops_die "the acceptance harness is not at $OPS_ACC (set GANTRY_ACCEPTANCE=/path/to/shared/acceptance)"
  OPS_ACC=$(cd "$OPS_ACC" && pwd)
  rm -rf "$OPS_WORK"; mkdir -p "$OPS_WORK"/{pids,logs,bin,img,pulled}
  local py; py=$(python3 -c 'import sys; print(sys.executable)') && ln -sf "$py" "$OPS_WORK/bin/python3"
  export PATH="$OPS_WORK/bin:$PATH"
  echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$OPS_WORK/policy.json"
  echo '{}' >"$OPS_WORK/auth.json"
}

# ops_pid_ours PID : alive and its command line names our work dir
ops_pid_ours() {
  [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] || return 1
  { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -qF "$OPS_WORK"
}
ops_pid() { cat "$OPS_WORK/pids/$1.pid" 2>/dev/null; }
# ops_stop NAME [SIGNAL [GRACE]] : TERM (or SIGNAL), GRACE s (default 5), then KILL -- only if it
# is ours. (On JDK 17 the first stop of a fresh distribution writes its AppCDS archive, which can
# take longer than that on a busy machine; the work directory is thrown away anyway.)
ops_stop() {
  local pid i grace=${3:-5}; pid=$(ops_pid "$1") || return 0
  if ops_pid_ours "$pid"; then
    kill "-${2:-TERM}" "$pid" 2>/dev/null
    for i in $(seq $((grace * 10))); do ops_pid_ours "$pid" || break; sleep 0.1; done
    ops_pid_ours "$pid" && kill -KILL "$pid" 2>/dev/null
    for i in $(seq 20); do ops_pid_ours "$pid" || break; sleep 0.1; done
  fi
  rm -f "$OPS_WORK/pids/$1.pid"
}
ops_stop_all() {
  local f
  for f in "$OPS_WORK"/pids/*.pid; do [ -f "$f" ] && ops_stop "$(basename "$f" .pid)"; done
  return 0
}

# ops_ports N : N distinct free TCP ports on 127.0.0.1, one a line
ops_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}
ops_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ops_hosts : make OPS_HOST resolve to 127.0.0.1 (the acceptance harness's lib/hosts.sh block)
ops_hosts() {
  [ "$(getent hosts "$OPS_HOST" | awk '{print $1; exit}')" = 127.0.0.1 ] && return 0
  bash "$OPS_ACC/lib/hosts.sh" install || ops_die "cannot make $OPS_HOST resolve (lib/hosts.sh)"
  [ "$(getent hosts "$OPS_HOST" | awk '{print $1; exit}')" = 127.0.0.1 ] || ops_die "$OPS_HOST does not resolve to 127.0.0.1"
}

# ---------------------------------------------------------------- PKI
# ops_pki : private CA + leaf for OPS_HOST (the acceptance harness's pki.sh) in $OPS_WORK/pki;
# the files gantry serves are copies in $OPS_WORK/tls (so a renewal can rewrite them)
ops_pki() {
  bash "$OPS_ACC/lib/pki.sh" "$OPS_WORK/pki" "$OPS_HOST" >/dev/null 2>&1 || ops_die "pki.sh failed"
  mkdir -p "$OPS_WORK/tls"
  cp "$OPS_WORK/pki/$OPS_HOST.crt" "$OPS_WORK/tls/$OPS_HOST.crt"
  cp "$OPS_WORK/pki/$OPS_HOST.key" "$OPS_WORK/tls/$OPS_HOST.key"
  chmod 600 "$OPS_WORK/tls/$OPS_HOST.key"
  OPS_CERT="$OPS_WORK/tls/$OPS_HOST.crt"; OPS_KEY="$OPS_WORK/tls/$OPS_HOST.key"
  OPS_CA="$OPS_WORK/pki/ca.crt"; OPS_CERTDIR="$OPS_WORK/pki/client"
}
# ops_renew_cert : a new leaf for OPS_HOST from the same CA (pki.sh in a scratch dir), then
# written over the served files the way certbot/cert-manager do: key, then certificate, each
# replaced by a rename
ops_renew_cert() {
  local d="$OPS_WORK/pki-renew-$RANDOM"
  mkdir -p "$d"; cp "$OPS_WORK/pki/ca.crt" "$OPS_WORK/pki/ca.key" "$d/"
  bash "$OPS_ACC/lib/pki.sh" "$d" "$OPS_HOST" >/dev/null 2>&1 || return 1
  cp "$d/$OPS_HOST.key" "$OPS_KEY.new"; chmod 600 "$OPS_KEY.new"
  cp "$d/$OPS_HOST.crt" "$OPS_CERT.new"
  mv "$OPS_KEY.new" "$OPS_KEY"
  mv "$OPS_CERT.new" "$OPS_CERT"
  rm -rf "$d"
  openssl x509 -in "$OPS_CERT" -noout -serial | cut -d= -f2 | sed 's/^0*//'   # as ops_served_serial prints it
}
# ops_served_serial PORT : serial of the certificate a new handshake (SNI OPS_HOST) gets, verified
# (upper-case hex without leading zeros)
ops_served_serial() {
  python3 - "$OPS_CA" "$1" "$OPS_HOST" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname=sys.argv[3]) as t:
            print("%X" % int(t.getpeercert()["serialNumber"], 16))
except Exception as e:
    print("ERROR", str(e)[:120])
PY
}

# ---------------------------------------------------------------- registries
# ops_registry_start NAME PORT [PREFIX] : a docker-registry (distribution 2.8) laid out like a
# Nexus repository (http.prefix), storage in $OPS_WORK/reg/NAME/data (kept over restarts); every
# answer carries X-Backend: NAME
ops_registry_start() {
  local name=$1 port=$2 prefix=${3:-/repository/docker-hosted/} dir="$OPS_WORK/reg/$1" pid i v
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<YML
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${OPS_REG_DATA:-$dir/data}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  prefix: $prefix
  secret: gantry-ops-secret
  headers:
    X-Backend: [$name]
YML
  local unset_env=()
  for v in $(compgen -e); do [[ $v == REGISTRY_* ]] && unset_env+=(-u "$v"); done
  setsid env "${unset_env[@]}" docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
  pid=$!; disown "$pid"; echo "$pid" >"$OPS_WORK/pids/reg-$name.pid"
  for i in $(seq 100); do
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port${prefix}v2/")" = 200 ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  ops_die "registry $name did not start (log $dir/registry.log)"
}

# ---------------------------------------------------------------- gantry
# ops_gantry_unpack [TARBALL] : unpack the distribution into $OPS_WORK/gantry
ops_gantry_unpack() {
  local tarball=${1:-}
  [ -n "$tarball" ] || tarball=$(ls -t "$OPS_ROOT"/dist/target/gantry-*.tar.gz 2>/dev/null | head -1)
  [ -n "$tarball" ] && [ -f "$tarball" ] || ops_die "no distribution; build it: mvn -B -q package -DskipTests"
  mkdir -p "$OPS_WORK/gantry"; tar xzf "$tarball" -C "$OPS_WORK/gantry" --strip-components=1
  OPS_GANTRY="$OPS_WORK/gantry"
  ops_log "distribution $tarball"
}
# ops_gantry_start CONF PORT : bin/gantry run CONF (the JVM is our direct child: bin/gantry execs
# it); returns once PORT accepts connections. Sets OPS_GANTRY_PID.
ops_gantry_start() {
  local conf=$1 port=$2 pid i
  setsid "$OPS_GANTRY/bin/gantry" run "$conf" >>"$OPS_WORK/logs/gantry.log" 2>&1 </dev/null &
  pid=$!; disown "$pid"; echo "$pid" >"$OPS_WORK/pids/gantry.pid"; OPS_GANTRY_PID=$pid
  for i in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$OPS_WORK/logs/gantry.log" >&2; ops_die "gantry exited"; }
    ops_listening "$port" && return 0
    sleep 0.1
  done
  ops_die "gantry did not listen on $port within 30 s"
}
# ops_usage PID : "<rss kB> <threads> <fds>"
ops_usage() {
  local rss thr fds
  rss=$(awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null); thr=$(awk '/^Threads:/{print $2}' "/proc/$1/status" 2>/dev/null)
  fds=$(ls "/proc/$1/fd" 2>/dev/null | wc -l)
  echo "${rss:-0} ${thr:-0} $fds"
}

# ---------------------------------------------------------------- images, skopeo
# ops_mkimg NAME SIZE : OCI layout $OPS_WORK/img/NAME (tag NAME), one uncompressed random layer
ops_mkimg() {
  rm -rf "$OPS_WORK/img/$1"
  python3 "$OPS_ACC/lib/mkimage.py" --out "$OPS_WORK/img/$1" --tag "$1" --layer "tar:$2" \
    --label "org.gantry.ops=$OPS_NAME" >"$OPS_WORK/img/$1.json"
}
# ops_push NAME REF / ops_pull REF NAME : skopeo over TLS (private CA), no retries; stderr in
# $OPS_WORK/logs/NAME.push.err / .pull.err; digest in $OPS_WORK/img/NAME.pushed / pulled/NAME.pulled
OPS_SKOPEO_TIMEOUT=${OPS_SKOPEO_TIMEOUT:-180}
ops_push() {
  REGISTRY_AUTH_FILE=$OPS_WORK/auth.json timeout -k 5 "$OPS_SKOPEO_TIMEOUT" skopeo --policy "$OPS_WORK/policy.json" \
    copy --quiet --preserve-digests --retry-times 0 --dest-cert-dir "$OPS_CERTDIR" --digestfile "$OPS_WORK/img/$1.pushed" \
    "oci:$OPS_WORK/img/$1:$1" "docker://$2" >/dev/null 2>"$OPS_WORK/logs/$1.push.err"
}
ops_pull() {
  rm -rf "$OPS_WORK/pulled/$2"
  REGISTRY_AUTH_FILE=$OPS_WORK/auth.json timeout -k 5 "$OPS_SKOPEO_TIMEOUT" skopeo --policy "$OPS_WORK/policy.json" \
    copy --quiet --preserve-digests --retry-times 0 --src-cert-dir "$OPS_CERTDIR" --digestfile "$OPS_WORK/pulled/$2.pulled" \
    "docker://$1" "oci:$OPS_WORK/pulled/$2:$2" >/dev/null 2>"$OPS_WORK/logs/$2.pull.err"
}
ops_why() { tail -1 "$OPS_WORK/logs/$1.$2.err" 2>/dev/null | sed -e 's/^time="[^"]*" level=[a-z]* msg=//' -e 's/_state=[A-Za-z0-9_=%-]*/_state=.../g' | cut -c1-200; }
# ops_same_image NAME : the pulled layout holds the pushed manifest and byte-identical blobs
# (sha256 of every file = its digest = the source's); prints a summary or what differs
ops_same_image() {
  python3 - "$OPS_WORK/img/$1" "$OPS_WORK/pulled/$1" "$OPS_WORK/img/$1.json" <<'PY'
import hashlib, json, os, sys
src, dst, desc = sys.argv[1:4]
d = json.load(open(desc))
def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for c in iter(lambda: fh.read(1 << 20), b""):
            h.update(c)
    return "sha256:" + h.hexdigest()
errs, total = [], 0
for dg in [d["manifest"], d["config"]] + [l["digest"] for l in d["layers"]]:
    p = os.path.join(dst, "blobs", "sha256", dg.split(":")[1])
    if not os.path.exists(p):
        errs.append("%s missing" % dg[:19]); continue
    got = sha(p)
    if got != dg or os.path.getsize(p) != os.path.getsize(os.path.join(src, "blobs", "sha256", dg.split(":")[1])):
        errs.append("%s differs (pulled %s)" % (dg[:19], got[:19]))
    total += os.path.getsize(p)
if errs:
    print("; ".join(errs)); sys.exit(1)
print("identical: %s, %d bytes" % (d["manifest"][:19], total))
PY
}
