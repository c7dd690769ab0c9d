#!/usr/bin/env bash
# End-to-end benchmark: the real window (under Xvfb) against a real Mosquitto,
# beside mosquitto_sub, driven by `mqscope simulate`.
#
#   scripts/bench-e2e.sh                 burst (500,000 msgs / 10,000 topics, flat out)
#                                        then steady 20,000 msg/s for 60 s over 100,000 topics
#   scripts/bench-e2e.sh --soak 30       steady load for 30 minutes, RSS each minute
#   STEADY_S=20 scripts/bench-e2e.sh     a shorter steady phase
#
# Then a latency phase: a fresh window with --record and a fresh mosquitto_sub,
# 3,000 msg/s for 10 s of payloads that carry their send time (`t`, µs); the
# delay to each subscriber, from its own receive times, as percentiles.
#
# Then a CPU phase: another fresh window and mosquitto_sub, 20 s each at 7,
# 3,000 and 30,000 msg/s: the cores each uses (from /proc) and the window's
# frames per second.
#
# The script checks itself: both subscribers (the window and mosquitto_sub,
# both subscribed at QoS 2) have seen a marker message and are idle before any
# load starts; the "Expand all" click must show in the window's tree rows.
#
# Needs: mosquitto, mosquitto-clients, xvfb, xdotool, imagemagick, python3
# (apt-get install -y mosquitto mosquitto-clients xvfb xdotool imagemagick).
# Prints one table and appends it to BENCHMARKS.md with the date and machine.
set -euo pipefail
cd "$(dirname "$0")/.."

soak_minutes=0
if [ "${1:-}" = "--soak" ]; then soak_minutes=${2:?--soak needs MINUTES}; fi
steady_s=${STEADY_S:-60}
steady_rate=${STEADY_RATE:-20000}

cargo build --release --quiet
bin=./target/release/mqscope
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
display=:$((90 + RANDOM % 9))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cat > "$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
CONF
/usr/sbin/mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 & pids+=($!)
broker_pid=$!
Xvfb "$display" -screen 0 1360x840x24 >/dev/null 2>&1 & pids+=($!)
sleep 1

# Both subscribers at the same QoS: the window's --subscribe asks for QoS 2.
sub_qos=2
stat() { python3 -c "import json,sys; d=json.load(open('${STATS:-$work/stats.json}')); print(d$1)"; }
# CPU time of a process so far (user + system), in clock ticks, from /proc.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
now_s() { date +%s.%N; }
# Cores used between two readings: cores TICKS_BEFORE TICKS_AFTER T_BEFORE T_AFTER.
cores() { python3 -c "print(f'{($2 - $1) / $(getconf CLK_TCK) / ($4 - $3):.3f}')"; }

# Until both subscribers have a marker published after they started (the
# broker has their SUBSCRIBE); then until neither takes in anything more.
# $1: marker topic, $2: the mosquitto_sub output file.
ready_and_idle() {
  local topic=$1 out=$2 i
  for i in $(seq 1 100); do
    mosquitto_pub -p "$port" -t "$topic" -m "ready-$i"
    sleep 0.2
    if [ -f "${STATS:-$work/stats.json}" ] && [ "$(stat "['received']")" -gt 0 ] && grep -q "ready-" "$out"; then
      break
    fi
    [ "$i" -lt 100 ] || { echo "a subscriber never saw the marker on $topic" >&2; exit 1; }
  done
  # The stats file is rewritten about once a second: compare readings 2 s apart.
  local last=-1 now
  while :; do now="$(stat "['received']") $(wc -l <"$out")"; [ "$now" = "$last" ] && break; last=$now; sleep 2; done
}

charts=()
for i in 0 1 2 3 4 5 6 7 8 9; do charts+=(--chart "sim/zone_$i/rack_0/sensor_$i:value"); done
DISPLAY=$display MQSCOPE_CONFIG_DIR="$work/config" "$bin" --broker "mqtt://127.0.0.1:$port" --subscribe '#' \
  --stats-json "$work/stats.json" "${charts[@]}" >"$work/app.log" 2>&1 & pids+=($!)
app_pid=$!
mosquitto_sub -p "$port" -t '#' -q "$sub_qos" -F '%t %p' >"$work/sub.out" & pids+=($!)
sub_pid=$!
# Load starts only once both are subscribed and idle (a cold start can take seconds).
ready_and_idle bench/ready "$work/sub.out"
baseline=$(stat "['received']")
sub_baseline=$(wc -l <"$work/sub.out")

peak_rss=0
sample_rss() {
  local r; r=$(stat "['rss_bytes']"); [ "$r" -gt "$peak_rss" ] && peak_rss=$r; echo "$r"
}
wait_quiet() { # until the app's received count stops moving for 2 s
  local last=-1 now
  while :; do now=$(stat "['received']"); sample_rss >/dev/null; [ "$now" = "$last" ] && break; last=$now; sleep 2; done
}
first_frame_ms=$(printf '%.0f' "$(stat "['first_frame_ms']")")

echo "== burst: 500,000 messages over 10,000 topics, as fast as the broker takes them"
burst=$("$bin" simulate --broker "mqtt://127.0.0.1:$port" --count 500000 --topics 10000 --payload json 2>/dev/null)
echo "$burst"
wait_quiet
burst_received=$(( $(stat "['received']") - baseline )); burst_applied=$(( $(stat "['applied']") - baseline ))

# Expand the tree for the steady phase: the "Expand all" button of the default
# layout, and the tree must then list the burst's topics (or the click missed).
win=$(DISPLAY=$display xdotool search --name mqscope | head -1 || true)
[ -n "$win" ] || { echo "no mqscope window to click in" >&2; exit 1; }
folded=$(stat "['connections'][0]['tree_rows']")
DISPLAY=$display xdotool mousemove --window "$win" 416 144 click 1 || true
rows=0
for _ in $(seq 1 20); do
  rows=$(stat "['connections'][0]['tree_rows']"); [ "$rows" -gt 15000 ] && break; sleep 0.5
done
if [ "$rows" -le 15000 ]; then
  DISPLAY=$display import -window root "$work/missed.png" 2>/dev/null && cp "$work/missed.png" /tmp/bench-e2e-missed.png
  echo "the Expand all click did not land: the tree lists $rows rows (screenshot: /tmp/bench-e2e-missed.png)" >&2
  exit 1
fi
echo "tree expanded: $folded rows before the click, $rows after"

minutes=$(( soak_minutes > 0 ? soak_minutes : 0 ))
duration=$(( minutes > 0 ? minutes * 60 : steady_s ))
echo "== steady: $steady_rate msg/s for $duration s over 100,000 topics, tree expanded, 10 charted series"
"$bin" simulate --broker "mqtt://127.0.0.1:$port" --rate "$steady_rate" --count $(( steady_rate * duration )) \
  --topics 100000 --payload json >"$work/steady.out" 2>/dev/null & sim=$!
steady_app0=$(cpu_ticks "$app_pid"); steady_sub0=$(cpu_ticks "$sub_pid"); steady_t0=$(now_s)
elapsed=0
while kill -0 "$sim" 2>/dev/null; do
  sleep 5; elapsed=$((elapsed + 5)); sample_rss >/dev/null; rss=$(stat "['rss_bytes']") # not in a subshell: peak_rss must see it
  if [ "$minutes" -gt 0 ] && [ $((elapsed % 60)) -eq 0 ]; then echo "minute $((elapsed / 60)): RSS $((rss / 1048576)) MiB"; fi
done
steady_app1=$(cpu_ticks "$app_pid"); steady_sub1=$(cpu_ticks "$sub_pid"); steady_t1=$(now_s)
steady_app_cores=$(cores "$steady_app0" "$steady_app1" "$steady_t0" "$steady_t1")
steady_sub_cores=$(cores "$steady_sub0" "$steady_sub1" "$steady_t0" "$steady_t1")
p50=$(stat "['frame_ms_p50']"); p99=$(stat "['frame_ms_p99']")
p50=$(printf '%.2f' "$p50"); p99=$(printf '%.2f' "$p99")
wait_quiet
sent=$(( 500000 + $(grep -o 'sent [0-9]*' "$work/steady.out" | grep -o '[0-9]*') ))
# What each took in of the load (the markers before it left out).
received=$(( $(stat "['received']") - baseline )); applied=$(( $(stat "['applied']") - baseline ))
sub_last=-1
while :; do sub=$(( $(wc -l <"$work/sub.out") - sub_baseline )); [ "$sub" = "$sub_last" ] && break; sub_last=$sub; sleep 1; done
kill "$sub_pid" "$app_pid" 2>/dev/null || true
wait "$app_pid" 2>/dev/null || true

echo "== latency: 3,000 msg/s for 10 s over 1,000 topics, payloads stamped with their send time"
STATS=$work/lat-stats.json
DISPLAY=$display MQSCOPE_CONFIG_DIR="$work/config-lat" "$bin" --broker "mqtt://127.0.0.1:$port" --subscribe 'sim/#' \
  --stats-json "$STATS" --record "$work/lat.ndjson" >"$work/app-lat.log" 2>&1 & pids+=($!)
lat_app=$!
mosquitto_sub -p "$port" -t 'sim/#' -q "$sub_qos" -F '%U %p' >"$work/lat-sub.out" & pids+=($!)
lat_sub=$!
ready_and_idle sim/ready "$work/lat-sub.out"
lat_base=$(stat "['received']") # the markers
lat_app0=$(cpu_ticks "$lat_app"); lat_sub0=$(cpu_ticks "$lat_sub"); lat_t0=$(now_s)
"$bin" simulate --broker "mqtt://127.0.0.1:$port" --rate 3000 --count 30000 --topics 1000 --payload json >/dev/null 2>&1
lat_app1=$(cpu_ticks "$lat_app"); lat_sub1=$(cpu_ticks "$lat_sub"); lat_t1=$(now_s)
lat_app_cores=$(cores "$lat_app0" "$lat_app1" "$lat_t0" "$lat_t1")
lat_sub_cores=$(cores "$lat_sub0" "$lat_sub1" "$lat_t0" "$lat_t1")
for i in $(seq 1 60); do
  [ "$(grep -c '"seq"' "$work/lat-sub.out")" -ge 30000 ] && [ "$(stat "['received']")" -ge $((lat_base + 30000)) ] && break
  [ "$i" -lt 60 ] || echo "warning: not all 30,000 latency messages arrived in 30 s; the table counts what did" >&2
  sleep 0.5
done
kill -TERM "$lat_app" 2>/dev/null || true
wait "$lat_app" 2>/dev/null || true # the recording is complete once it exits
kill "$lat_sub" 2>/dev/null || true
latency=$(python3 - "$work/lat.ndjson" "$work/lat-sub.out" <<'PY'
import datetime, json, sys
def pct(xs):
    xs = sorted(xs)
    if not xs:
        return "no messages"
    at = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]
    return f"{len(xs)} msgs · p50 {at(0.5):.2f} ms · p90 {at(0.9):.2f} ms · p99 {at(0.99):.2f} ms · max {xs[-1]:.2f} ms"
app = []
for line in open(sys.argv[1], encoding="utf-8"):
    m = json.loads(line)
    p = m.get("payload", "")
    if p.startswith('{"seq"'):
        recv = datetime.datetime.fromisoformat(m["time"]).timestamp() * 1e6
        app.append((recv - json.loads(p)["t"]) / 1000)
sub = []
for line in open(sys.argv[2], encoding="utf-8", errors="replace"):
    when, _, p = line.rstrip("\n").partition(" ")
    if p.startswith('{"seq"'):
        sub.append((float(when) * 1e6 - json.loads(p)["t"]) / 1000)
print(f"| mosquitto_sub | {pct(sub)} |")
print(f"| mqscope (worker's receive time, from --record) | {pct(app)} |")
PY
)
echo "$latency"
echo "== CPU: a fresh window (tree folded, no charts) and a fresh mosquitto_sub at 7, 3,000 and 30,000 msg/s"
STATS=$work/cpu-stats.json
DISPLAY=$display MQSCOPE_CONFIG_DIR="$work/config-cpu" "$bin" --broker "mqtt://127.0.0.1:$port" --subscribe '#' \
  --stats-json "$STATS" >"$work/app-cpu.log" 2>&1 & pids+=($!)
cpu_app=$!
mosquitto_sub -p "$port" -t '#' -q "$sub_qos" >"$work/cpu-sub.out" & pids+=($!)
cpu_sub=$!
ready_and_idle cpu/ready "$work/cpu-sub.out"
cpu_rows=""
# One load: RATE TOPICS SECONDS. Cores of each, and the window's frames per
# second, over the middle of the load (the first 3 s left out).
cpu_load() {
  local rate=$1 topics=$2 secs=$3 sim a0 s0 f0 t0 a1 s1 f1 t1
  "$bin" simulate --broker "mqtt://127.0.0.1:$port" --rate "$rate" --count $(( rate * (secs + 5) )) \
    --topics "$topics" --payload json >/dev/null 2>&1 & sim=$!; pids+=("$sim")
  sleep 3
  a0=$(cpu_ticks "$cpu_app"); s0=$(cpu_ticks "$cpu_sub"); f0=$(stat "['frames']"); t0=$(now_s)
  sleep "$secs"
  a1=$(cpu_ticks "$cpu_app"); s1=$(cpu_ticks "$cpu_sub"); f1=$(stat "['frames']"); t1=$(now_s)
  wait "$sim" 2>/dev/null || true
  cpu_rows+="| $(python3 -c "print(f'{$rate:,} msg/s over {$topics:,} topics')") | $(cores "$s0" "$s1" "$t0" "$t1") | $(cores "$a0" "$a1" "$t0" "$t1") | $(python3 -c "print(f'{($f1 - $f0) / ($t1 - $t0):.1f}')") |"$'\n'
  wait_quiet_stats
}
wait_quiet_stats() { local last=-1 now; while :; do now=$(stat "['received']"); [ "$now" = "$last" ] && break; last=$now; sleep 2; done; }
cpu_load 7 11 20
cpu_load 3000 10000 20
cpu_load 30000 10000 20
kill "$cpu_app" "$cpu_sub" 2>/dev/null || true
wait "$cpu_app" 2>/dev/null || true
echo "$cpu_rows"

ratio=$(python3 -c "print(f'{$received / max($sub, 1):.3f}')")
rss_mib=$((peak_rss / 1048576))
machine="$(nproc) cores, $(lscpu | sed -n 's/^Model name:\s*//p' | head -1)"
table=$(cat <<TABLE

## End to end — \`scripts/bench-e2e.sh\` ($(date -u +%Y-%m-%d), $machine, steady ${duration} s at ${steady_rate}/s)

| sent | mosquitto_sub received | mqscope received | mqscope applied | mqscope / mosquitto_sub | frame p50 | frame p99 (steady) | peak RSS | first frame |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
| $sent | $sub | $received | $applied | $ratio | ${p50} ms | ${p99} ms | ${rss_mib} MiB | ${first_frame_ms} ms |

Burst alone: $burst ($burst_received received, $burst_applied applied by mqscope).
Both subscribed to \`#\` at QoS $sub_qos; load started once both had a marker and were idle; tree expanded to $rows rows before the steady phase.

Latency, broker to subscriber, 30,000 messages at 3,000/s over 1,000 topics (payload send time \`t\` against each subscriber's receive time):

| subscriber | delay |
| --- | --- |
$latency

CPU, cores used while the load ran (user + system time from /proc over wall time):

| load | mosquitto_sub | mqscope |
| --- | --- | --- |
| ${steady_rate} msg/s over 100,000 topics, tree expanded | $steady_sub_cores | $steady_app_cores |
| 3,000 msg/s over 1,000 topics (a fresh window, recording with --record) | $lat_sub_cores | $lat_app_cores |

A fresh window (tree folded, no charts, no recording) beside a fresh mosquitto_sub, one load after the other; the window's frames per second from its --stats-json (whose own once-a-second update is one frame a second of them):

| load | mosquitto_sub (cores) | mqscope (cores) | mqscope frames/s |
| --- | --- | --- | --- |
${cpu_rows%$'\n'}
TABLE
)
echo "$table"
echo "$table" >> BENCHMARKS.md
