#!/usr/bin/env bash
# The two-instance scenarios of bench/faults.sh (sourced by it when the distribution has upstream
# pools): registries a and b on one storage behind the upstream `pool`; `pool-stall` = [a, a
# relay that never answers] with an active health check, `pool-passive` the same without one,
# `pool-slow` = [a, a relay that holds every answer 1 s]. Small requests run through
# bench/ops/load.py (answers counted by their X-Backend header).

k2cfg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"])' "$OPS_WORK/img/k2.json")
k2man=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifest"])' "$OPS_WORK/img/k2.json")
# load_start NAME PORT RATE : small GETs (k2's config blob) and HEADs (its manifest) through PORT
# until load_stop NAME
load_start() {
  mkdir -p "$OPS_WORK/load-$1"; rm -f "$OPS_WORK/load-$1/stop"
  python3 "$here/ops/load.py" --host "$OPS_HOST" --port "$2" --ca "$OPS_CA" --pid "$gpid" --out "$OPS_WORK/load-$1" \
    --rate "$3" --workers 4 --new-conn-every 20 --sample 5 --stop "$OPS_WORK/load-$1/stop" --max-seconds 120 \
    --get "/v2/faults/k2/blobs/$k2cfg" --get-digest "$k2cfg" \
    --head "/v2/faults/k2/manifests/k2" --head-digest "$k2man" 2>"$OPS_WORK/logs/load-$1.log" &
  eval "load_pid_${1//-/_}=$!"
}
load_stop() { # load_stop NAME : stops it; LOAD = "ok failed p50 p99 backends t0_ms"
  local v="load_pid_${1//-/_}"
  touch "$OPS_WORK/load-$1/stop"; wait "${!v}"
  LOAD=$(python3 - "$OPS_WORK/load-$1/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
b = ",".join("%s:%d" % kv for kv in sorted(s["backends"].items())) or "-"
print(s["ok"], s["failed"], int(s["p50_ms"] or 0), int(s["p99_ms"] or 0), b, s["t0_ms"])
PY
)
}
fail_times() { # fail_times NAME T_MS : each failure's time relative to T_MS and its error
  python3 - "$OPS_WORK/load-$1/summary.json" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); t = int(sys.argv[2])
print("; ".join("%+d ms %s" % (s["t0_ms"] + f["t"] * 1000 - t, f["error"][:60]) for f in s["failures"][:5]))
PY
}
health() { # health UPSTREAM : its /healthcheck message
  curl -s -m 10 "http://127.0.0.1:$admin/healthcheck" | python3 -c 'import json,sys; print(json.load(sys.stdin)["upstream." + sys.argv[1]]["message"])' "$1" 2>/dev/null
}

# ---------------------------------------------------------------- one of two instances killed
scen="pool: kill one of two"
w=$(wait_up "$l_pool")
rate=40 win=6; [ $short = 1 ] && rate=20 win=4
load_start kill "$l_pool" $rate
sleep 2
b_before=$(wc -l <"$OPS_WORK/reg/b/registry.log")
ops_stop reg-b KILL; t_kill=$(now_ms)
t=$(now_ms); ops_pull "$OPS_HOST:$l_pool/faults/k2:k2" k2; rc=$?; took=$(ms_since "$t")
if [ $rc = 0 ] && same=$(ops_same_image k2); then
  row "$scen" "b killed (-9) under load: skopeo pull at once" "succeeds on a, identical" "$took ms; $same" PASS
else
  row "$scen" "b killed (-9) under load: skopeo pull at once" "succeeds on a" "exit $rc: $(ops_why k2 pull) ${same:-}" FAIL
fi
ops_mkimg p1 "$layer"
t=$(now_ms); ops_push p1 "$OPS_HOST:$l_pool/faults/p1:p1"; rc=$?; took=$(ms_since "$t")
row "$scen" "b down: skopeo push of a $layer layer" "succeeds on a" "exit $rc after $took ms $( [ $rc = 0 ] || ops_why p1 push)" "$(verdict "[ $rc = 0 ]")"
read -r st ms rest <<<"$(probe "$l_pool" /v2/)"
row "$scen" "b down: GET /v2/" "200 from a" "$st in $ms ms; /healthcheck: $(health pool)" "$(verdict "[ $st = 200 ]")"
ops_registry_start b "$rb"; t_up=$(now_ms)
sleep 3
load_stop kill; read -r ok failed p50 p99 backends t0 <<<"$LOAD"
b_after=$(awk -v n="$b_before" 'NR > n' "$OPS_WORK/reg/b/registry.log" | grep -c '"GET \|"HEAD ')
row "$scen" "small GETs/HEADs at $rate/s through it all (kill, 2 transfers, restart + 3 s)" \
  "0 failed, or only requests in flight on b at the kill; b back in rotation after its restart" \
  "$ok ok, $failed failed$( [ "$failed" = 0 ] || echo " ($(fail_times kill "$t_kill"))"); p50 $p50 ms, p99 $p99 ms; answered by $backends; b logged $b_after requests after restart (incl. health checks)" \
  "$(verdict "[ $failed -le 4 ] && [ $b_after -gt 0 ]")"
gantry_same

# ---------------------------------------------------------------- every instance down
scen="pool: all instances down"
ops_stop reg-a KILL; ops_stop reg-b KILL
# until both are out (eject-after 2 failures, or 2 failed checks a second apart) a request tries
# them (refused: 502); then 503 at once with Retry-After
answers=() worst=0
for i in $(seq 8); do
  read -r st ms _ <<<"$(probe "$l_pool" /v2/)"; answers+=("$st/${ms}ms"); [ "$ms" -gt "$worst" ] && worst=$ms
  sleep 0.4
done
ra_hdr=$(curl -s -o /dev/null -D - --cacert "$OPS_CA" -m 5 "https://$OPS_HOST:$l_pool/v2/" | tr -d '\r' | grep -i '^retry-after:' | cut -d' ' -f2)
row "$scen" "a and b killed: GET /v2/ every 0.4 s for 3 s" "502 (both refused) until both are out, then 503 at once; never a wait" \
  "${answers[*]}; slowest ${worst} ms; /healthcheck: $(health pool)" \
  "$(verdict "[ $worst -lt 1000 ] && [ '${answers[7]%%/*}' = 503 ] && ! printf '%s\n' ${answers[*]} | grep -qv '^50[23]/'")"
row "$scen" "Retry-After on that 503" "present (README: '503 at once with Retry-After')" \
  "${ra_hdr:-none}$( [ -n "$ra_hdr" ] || echo ": gantry sets it from an ejection's remaining time; instances out by a failing health check have none")" \
  "$( [ -n "$ra_hdr" ] && echo PASS || echo WARN)"
ops_registry_start a "$ra"; ops_registry_start b "$rb"
w=$(wait_up "$l_pool")
row "$scen" "both restarted" "200 again without touching gantry" "200 after $w" "$(verdict "[ '$w' != never ]")"
gantry_same

# ---------------------------------------------------------------- one instance stalls
scen="pool: one instance stalls"
load_start stall "$l_pool_stall" 20
sleep $win
load_stop stall; read -r ok failed p50 p99 backends t0 <<<"$LOAD"
row "$scen" "[a, relay that accepts and never answers], health check 1 s: small requests for $win s" \
  "all succeed on a (the stalled instance ejected)" "$ok ok, $failed failed$( [ "$failed" = 0 ] || echo " ($(fail_times stall "$t0"))"); p99 $p99 ms; answered by $backends; /healthcheck: $(health pool-stall)" \
  "$(verdict "[ $failed = 0 ]")"
t=$(now_ms)
if ops_pull "$OPS_HOST:$l_pool_stall/faults/k2:k2" k2 && same=$(ops_same_image k2); then
  row "$scen" "skopeo pull through it" "succeeds, identical" "$(ms_since "$t") ms; $same" PASS
else
  row "$scen" "skopeo pull through it" "succeeds" "$(ops_why k2 pull) ${same:-}" FAIL
fi

scen="pool: one instance stalls, no health check"
load_start passive "$l_pool_passive" 20
sleep $((win + 2))
load_stop passive; read -r ok failed p50 p99 backends t0 <<<"$LOAD"
row "$scen" "[a, a stalled relay], no active check: small requests for $((win + 2)) s" \
  "all succeed: a request that timed out on the stalled instance is retried on a (bodyless), the instance is ejected after 2 failures" \
  "$ok ok, $failed failed$( [ "$failed" = 0 ] || echo " ($(fail_times passive "$t0"))"); p50 $p50 ms, p99 $p99 ms (a request that met the stall waited the ${idle} s idle timeout); /healthcheck: $(health pool-passive)" \
  "$(verdict "[ $failed = 0 ]")"

# ---------------------------------------------------------------- one instance slow
scen="pool: one instance slow"
load_start slow "$l_pool_slow" 20
sleep $win
load_stop slow; read -r ok failed p50 p99 backends t0 <<<"$LOAD"
row "$scen" "[a, relay that holds every answer 1 s]: small requests for $win s" "all succeed (some ~1 s slower)" \
  "$ok ok, $failed failed; p50 $p50 ms, p99 $p99 ms; answered by $backends" "$(verdict "[ $failed = 0 ]")"
gantry_same
