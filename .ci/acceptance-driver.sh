#!/usr/bin/env bash
# gantry driver for the acceptance harness (../shared/acceptance, contract in its README):
#
#   acceptance-driver.sh start SCENARIO ROUTES_FILE   -> prints the JVM's PID
#   acceptance-driver.sh stop PID
#   acceptance-driver.sh reload PID SCENARIO ROUTES_FILE   -> prints the same PID; exit 1 if refused
#
# It translates the harness's routes JSON into a gantry config file and starts the built
# distribution with bin/gantry run, exactly as a user would. Every backend comes from the
# routes JSON (upstream + prefix), never from the topology file.
#
# Environment from run.sh: ACC_ROOT, ACC_WORK, ACC_CERTS. GANTRY_DIST may name the tarball
# (default: dist/target/gantry-*.tar.gz of this checkout).
set -euo pipefail
: "${ACC_ROOT:?}" "${ACC_WORK:?}" "${ACC_CERTS:?}"
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/.." && pwd)
cmd=${1:?usage: acceptance-driver.sh start SCENARIO ROUTES | stop PID | reload PID SCENARIO ROUTES}

listening() { # listening PORT...: all ports accept TCP connections
  local p
  for p in "$@"; do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || return 1; done
}

# Unpack the distribution once per run (run.sh wipes $ACC_WORK per run), under a lock since
# the harness may start the next scenario while tearing down the previous one.
unpacked_home() {
  local tarball=${GANTRY_DIST:-}
  if [ -z "$tarball" ]; then
    tarball=$(ls -t "$project"/dist/target/gantry-*.tar.gz 2>/dev/null | head -1 || true)
  fi
  [ -n "$tarball" ] && [ -f "$tarball" ] || {
    echo "no gantry distribution found; build it first: mvn -B package -DskipTests" >&2; return 1; }
  local dir="$ACC_WORK/gantry-dist" stamp
  stamp=$(stat -c '%Y %s' "$tarball")
  (
    flock 9
    if [ ! -f "$dir/.stamp" ] || [ "$(cat "$dir/.stamp")" != "$stamp" ]; then
      rm -rf "$dir"; mkdir -p "$dir"
      tar xzf "$tarball" -C "$dir" --strip-components=1
      echo "$stamp" >"$dir/.stamp"
    fi
  ) 9>"$ACC_WORK/.gantry-dist.lock"
  echo "$dir"
}

case $cmd in
start)
  scen=${2:?scenario}; routes=${3:?routes file}
  d="$ACC_WORK/proxy/$scen"
  rm -rf "$d"; mkdir -p "$d"
  home=$(unpacked_home)
  ACC_CERTS="$ACC_CERTS" python3 "$ACC_ROOT/lib/routes.py" "$routes" --json >"$d/scenario.json"
  python3 "$here/acceptance-config.py" "$d/scenario.json" "$d" >"$d/gantry.conf"
  mapfile -t ports < <(python3 "$ACC_ROOT/lib/routes.py" "$routes" --ports)
  for p in "${ports[@]}"; do
    if listening "$p"; then echo "port $p is already in use" >&2; exit 1; fi
  done
  "$home/bin/gantry" check "$d/gantry.conf" >"$d/check.log" 2>&1 || { cat "$d/check.log" >&2; exit 1; }
  # setsid: the JVM (bin/gantry execs it) is our direct background child in its own session.
  setsid "$home/bin/gantry" run "$d/gantry.conf" >"$d/gantry.log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 250); do
    if ! kill -0 "$pid" 2>/dev/null; then echo "gantry exited; see $d/gantry.log" >&2; tail -20 "$d/gantry.log" >&2; exit 1; fi
    if listening "${ports[@]}"; then echo "$pid"; exit 0; fi
    sleep 0.1
  done
  echo "gantry did not come up within 25s; see $d/gantry.log" >&2; kill -KILL "$pid" 2>/dev/null || true; exit 1
  ;;
stop)
  pid=${2:?pid}
  # only signal it if it is a gantry of ours (its command line names $ACC_WORK)
  if { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q "io.gantry.server.Main.*$ACC_WORK"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  ;;
reload)
  # Re-render the config as start does, put it in place, and have the running gantry reload it with
  # bin/gantry reload (the admin endpoint, found through the PID/admin files run left next to the
  # config, answers with the result once it is in effect). Refused: restore the previous file, exit 1.
  pid=${2:?pid}; scen=${3:?scenario}; routes=${4:?routes file}
  d="$ACC_WORK/proxy/$scen"
  [ -f "$d/gantry.conf" ] || { echo "no gantry.conf in $d (was $scen started?)" >&2; exit 1; }
  if [ "$(cat "$d/gantry.pid" 2>/dev/null)" != "$pid" ]; then
    echo "$d/gantry.pid does not name PID $pid" >&2; exit 1
  fi
  home=$(unpacked_home)
  ACC_CERTS="$ACC_CERTS" python3 "$ACC_ROOT/lib/routes.py" "$routes" --json >"$d/scenario.next.json"
  python3 "$here/acceptance-config.py" "$d/scenario.next.json" "$d" >"$d/gantry.next.conf"
  cp "$d/gantry.conf" "$d/gantry.prev.conf"
  mv "$d/gantry.next.conf" "$d/gantry.conf"
  if "$home/bin/gantry" reload "$d/gantry.conf" >"$d/reload.out" 2>"$d/reload.err"; then
    mv "$d/scenario.next.json" "$d/scenario.json"
    echo "$pid"; exit 0
  fi
  mv "$d/gantry.prev.conf" "$d/gantry.conf"
  cat "$d/reload.err" "$d/reload.out" >&2
  exit 1
  ;;
*) echo "unknown command $cmd" >&2; exit 2 ;;
esac
