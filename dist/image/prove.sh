#!/usr/bin/env bash
# Proves gantry's image, not only builds it (CI: .ci/run; ~1-2 min):
#  1. a docker-registry laid out like Nexus (repository at /repository/docker-hosted/) and, in
#     front of it, gantry from the distribution tarball on a TLS port (self-signed for localhost);
#  2. skopeo pushes the image *through gantry* into the registry and pulls it back; the manifest
#     and every blob must come back identical (digests), and equal to the built archive's;
#  3. podman loads the pulled-back archive and runs it as Kubernetes would (read-only root
#     filesystem, config mounted read-only at /etc/gantry, non-root, admin on all interfaces
#     only because GANTRY_ADMIN_HOST asks): time to 200 on /ready, a real registry request
#     through the containerized gantry, a config change picked up without a restart, RSS after a
#     little load, then SIGTERM (podman stop) and its exit status.
# If podman cannot run a container here, step 3 says exactly what failed and runs the image's
# entrypoint from its unpacked root filesystem instead (chroot, as uid 10001), so the image's own
# files are still what serves the request.
#
#   dist/image/prove.sh [IMAGE_TAR [DIST_TARBALL]]    # defaults: this checkout's build outputs
#
# Needs root, docker-registry, skopeo, podman + runc (crun fails on this machine kind, see
# ../shared/CONTAINERS.md), curl, python3, umoci (fallback). Ports are free ones picked at start;
# everything it starts is stopped by PID, everything it writes is under a temp directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${1:-$here/target/gantry-image.tar}
tarball=${2:-$(ls -t "$root"/dist/target/gantry-*.tar.gz 2>/dev/null | head -1 || true)}
fail() { echo "prove: FAILED: $*" >&2; exit 1; }
say() { echo "prove: $*"; }
[ -f "$image" ] || fail "no image at $image; build it: mvn -B package -DskipTests -Pimage"
[ -n "$tarball" ] && [ -f "$tarball" ] || fail "no distribution tarball; build it: mvn -B package -DskipTests"
for tool in docker-registry skopeo podman runc curl python3 umoci; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install -y docker-registry skopeo podman runc umoci curl python3)"
done
[ "$(id -u)" = 0 ] || fail "needs root (podman with runc, chroot fallback)"

work=$(mktemp -d /tmp/gantry-prove.XXXXXX)
pids=()
container=""
cleanup() {
  local rc=$?
  if [ -n "$container" ]; then podman rm -f -t 0 "$container" >/dev/null 2>&1 || true; fi
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log (last 20 lines)"; tail -20 "$log"; } >&2; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_ports() { # N free TCP ports on 127.0.0.1
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
PY
}
wait_for() { # wait_for SECONDS URL [PID]: until URL answers 200
  local deadline=$(( $(date +%s) + $1 )) url=$2 pid=${3:-}
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" || true)" = 200 ] && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}
now_ms() { date +%s%3N; }

read -r reg_port gantry_port admin_port c_plain c_admin <<<"$(free_ports 5)"
version=$(basename "$tarball" .tar.gz); version=${version#gantry-}
tag="gantry:$version"

# 1. The registry, as Nexus lays a hosted Docker repository out, and gantry in front of it.
mkdir -p "$work/registry" "$work/gantry" "$work/tls"
cat >"$work/registry/config.yml" <<YML
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $work/registry/data }
http:
  addr: 127.0.0.1:$reg_port
  prefix: /repository/docker-hosted/
  secret: gantry-prove
YML
unset_env=(); for v in $(compgen -e); do [[ $v == REGISTRY_* ]] && unset_env+=(-u "$v"); done
setsid env "${unset_env[@]}" docker-registry serve "$work/registry/config.yml" >"$work/registry.log" 2>&1 </dev/null &
pids+=($!)
wait_for 20 "http://127.0.0.1:$reg_port/repository/docker-hosted/v2/" "${pids[-1]}" || fail "docker-registry did not start"

tar xzf "$tarball" -C "$work/gantry" --strip-components=1
cat >"$work/gantry/front.conf" <<CONF
gantry {
  listeners = [ { name = registry, port = $gantry_port } ]
  tls.self-signed { hosts = [localhost], dir = "$work/tls" }
  upstreams { docker-hosted = "http://127.0.0.1:$reg_port/repository/docker-hosted/" }
  routes = [ { name = push-pull, host = localhost, path = ["/v2/"], to = docker-hosted } ]
  admin { host = 127.0.0.1, port = $admin_port }
}
CONF
GANTRY_CDS=off setsid "$work/gantry/bin/gantry" run "$work/gantry/front.conf" >"$work/gantry-front.log" 2>&1 </dev/null &
pids+=($!)
wait_for 60 "http://127.0.0.1:$admin_port/ready" "${pids[-1]}" || fail "gantry (tarball) did not become ready"
# skopeo trusts gantry's self-signed certificate as a CA: TLS is verified, not switched off.
mkdir -p "$work/certs.d"; cp "$work/tls/selfsigned.crt" "$work/certs.d/ca.crt"

# 2. Push through gantry, pull back, compare.
t=$(now_ms)
skopeo copy -q --dest-cert-dir "$work/certs.d" "oci-archive:$image" "docker://localhost:$gantry_port/$tag" \
  || fail "skopeo could not push the image through gantry"
say "pushed $tag through gantry (TLS, localhost:$gantry_port) in $(( $(now_ms) - t )) ms"
skopeo copy -q --src-cert-dir "$work/certs.d" "docker://localhost:$gantry_port/$tag" "oci-archive:$work/pulled.tar:$tag" \
  || fail "skopeo could not pull the image back through gantry"
digests() { # the manifest's digest and the config and layer digests, one per line
  skopeo inspect --raw "$@" | python3 -c '
import hashlib, json, sys
raw = sys.stdin.buffer.read(); m = json.loads(raw)
print("manifest sha256:" + hashlib.sha256(raw).hexdigest())
print("config " + m["config"]["digest"])
for l in m["layers"]: print("layer " + l["digest"])'
}
digests "oci-archive:$image" >"$work/built.digests"
digests --cert-dir "$work/certs.d" "docker://localhost:$gantry_port/$tag" >"$work/registry.digests"
digests "oci-archive:$work/pulled.tar" >"$work/pulled.digests"
cmp -s "$work/built.digests" "$work/registry.digests" || { diff "$work/built.digests" "$work/registry.digests" >&2; fail "the registry holds another image than the one built"; }
cmp -s "$work/built.digests" "$work/pulled.digests" || { diff "$work/built.digests" "$work/pulled.digests" >&2; fail "the image pulled back differs from the one built"; }
# The blobs themselves, byte for byte (content-addressed: equal names are equal bytes, checked).
mkdir "$work/a" "$work/b"; tar xf "$image" -C "$work/a"; tar xf "$work/pulled.tar" -C "$work/b"
(cd "$work/b/blobs/sha256" && for f in *; do [ "$(sha256sum <"$f" | cut -c1-64)" = "$f" ] || fail "pulled blob $f is corrupt"; cmp -s "$f" "$work/a/blobs/sha256/$f" || fail "pulled blob $f differs"; done)
say "pulled back identical: $(head -1 "$work/built.digests"), $(grep -c '^layer' "$work/built.digests") layers"

# 3. Run the pulled-back image.
mkdir -p "$work/etc"
cat >"$work/etc/gantry.conf" <<CONF
gantry {
  listeners = [ { name = plain, port = $c_plain, tls = false } ]
  upstreams { docker-hosted = "http://127.0.0.1:$reg_port/repository/docker-hosted/" }
  routes = [ { name = registry, path = ["/v2/"], to = docker-hosted } ]
  admin { host = 127.0.0.1, host = \${?GANTRY_ADMIN_HOST}, port = $c_admin }
}
CONF
chmod 755 "$work/etc"; chmod 644 "$work/etc/gantry.conf"
ready_url="http://127.0.0.1:$c_admin/ready"
mode=podman
# GANTRY_PROVE_ROOTFS=1 exercises the fallback on a machine where podman works.
if [ "${GANTRY_PROVE_ROOTFS:-0}" = 1 ]; then mode=rootfs; say "GANTRY_PROVE_ROOTFS=1: not using podman"; fi
t=$(now_ms)
if [ $mode = podman ] && ! podman load -q -i "$work/pulled.tar" >"$work/podman-load.log" 2>&1; then
  mode=rootfs; say "podman load failed: $(tail -1 "$work/podman-load.log")"
fi
load_ms=$(( $(now_ms) - t ))
if [ $mode = podman ]; then
  say "podman load: $load_ms ms"
  image_id=$(podman image inspect --format '{{.Id}}' "localhost/$tag")
  container=gantry-prove-$$
  # runc with explicit ulimits: crun and runc's defaults fail here (../shared/CONTAINERS.md).
  # --network=host: the registry listens on the host's loopback. --read-only: as in Kubernetes
  # (podman adds a tmpfs /tmp); /etc/gantry mounted read-only as a ConfigMap would be.
  t=$(now_ms)
  if ! podman run -d --name "$container" --runtime=runc --network=host \
      --ulimit nofile=20000:20000 --ulimit nproc=20000:20000 \
      --read-only -v "$work/etc:/etc/gantry:ro" -e GANTRY_ADMIN_HOST=0.0.0.0 \
      "localhost/$tag" >"$work/podman-run.log" 2>&1; then
    mode=rootfs; say "podman run failed: $(tail -3 "$work/podman-run.log" | tr '\n' ' ')"
    podman rm -f -t 0 "$container" >/dev/null 2>&1 || true; container=""
  fi
fi
if [ $mode = rootfs ]; then
  say "falling back to the image's root filesystem (umoci unpack + chroot as uid 10001)"
  umoci unpack --image "$work/b:$tag" "$work/bundle" >"$work/umoci.log" 2>&1 || fail "umoci could not unpack the image"
  # /proc (glibc resolves the JVM's $ORIGIN rpath through /proc/self/exe), /dev and the config
  # directory read-only at /etc/gantry, in a private mount namespace that ends with the process.
  mkdir -p "$work/bundle/rootfs/proc" "$work/bundle/rootfs/dev"
  t=$(now_ms)
  setsid unshare --mount --propagation private sh -c '
    mount --rbind /dev "$1/dev" && mount -t proc proc "$1/proc" &&
    mount --bind "$2" "$1/etc/gantry" && mount -o remount,bind,ro "$1/etc/gantry" &&
    exec chroot --userspec=10001:10001 "$1" /usr/bin/env -i PATH=/opt/java/bin:/usr/bin:/bin \
      JAVA_HOME=/opt/java GANTRY_ADMIN_HOST=0.0.0.0 /opt/gantry/bin/gantry run /etc/gantry/gantry.conf' \
    sh "$work/bundle/rootfs" "$work/etc" >"$work/rootfs-gantry.log" 2>&1 </dev/null &
  pids+=($!)
fi
logs() { if [ -n "$container" ]; then podman logs "$container" 2>&1; else cat "$work/rootfs-gantry.log"; fi; }
if [ -n "$container" ]; then gantry_pid=""; else gantry_pid=${pids[-1]}; fi
if ! wait_for 90 "$ready_url" $gantry_pid; then logs | tail -20 >&2; fail "the container did not answer 200 on /ready"; fi
start_ms=$(( $(now_ms) - t ))
say "$mode: start to 200 on /ready: $start_ms ms"
[ "$(curl -s "http://127.0.0.1:$c_admin/ping")" = pong ] || fail "/ping did not answer pong"

# A real request through the containerized gantry: the registry's manifest of the image itself.
got=$(skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$c_plain/$tag" | python3 -c 'import hashlib,sys; print("manifest sha256:" + hashlib.sha256(sys.stdin.buffer.read()).hexdigest())') \
  || fail "no manifest through the containerized gantry"
[ "$got" = "$(head -1 "$work/built.digests")" ] || fail "the containerized gantry served another manifest: $got"
say "$mode: served the image's own manifest through the container ($got)"

# Reload without a restart: the mounted file changes (atomically, as a ConfigMap update does).
sed 's/name = registry,/name = registry-v2,/' "$work/etc/gantry.conf" >"$work/etc/.next" && mv "$work/etc/.next" "$work/etc/gantry.conf"
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$c_admin/routes" | grep -q registry-v2 && break; sleep 0.1; done
curl -s "http://127.0.0.1:$c_admin/routes" | grep -q registry-v2 || fail "the changed config was not picked up by the running container"
say "$mode: mounted config changed -> reloaded without a restart"

# A little load (4 parallel pulls of the image through the container), then its RSS.
pulls=()
for i in 1 2 3 4; do
  skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$c_plain/$tag" "dir:$work/load$i" >/dev/null 2>&1 &
  pulls+=($!)
done
for p in "${pulls[@]}"; do wait "$p" || fail "a pull through the containerized gantry failed"; done
if [ -n "$container" ]; then jpid=$(podman inspect -f '{{.State.Pid}}' "$container"); else jpid=${pids[-1]}; fi
rss=$(awk '/^VmRSS/ {print int($2/1024)}' "/proc/$jpid/status" 2>/dev/null || echo "?")
hwm=$(awk '/^VmHWM/ {print int($2/1024)}' "/proc/$jpid/status" 2>/dev/null || echo "?")
say "$mode: RSS after 4 parallel pulls of the image: ${rss} MiB (peak ${hwm} MiB)"

# SIGTERM: gantry drains and exits.
t=$(now_ms)
if [ -n "$container" ]; then
  podman stop -t 40 "$container" >/dev/null
  code=$(podman inspect -f '{{.State.ExitCode}}' "$container")
  podman rm -f "$container" >/dev/null; container=""
  say "podman stop (SIGTERM): exited with $code after $(( $(now_ms) - t )) ms"
  case $code in 0|143) ;; *) fail "the container exited with $code on SIGTERM" ;; esac
else
  kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || true
  say "rootfs: SIGTERM: stopped after $(( $(now_ms) - t )) ms"
fi
# The image this run loaded, by its ID (a same-named image loaded since then is left alone).
[ -n "${image_id:-}" ] && podman rmi "$image_id" >/dev/null 2>&1 || true
say "OK ($mode)"
