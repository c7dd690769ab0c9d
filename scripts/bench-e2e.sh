#!/usr/bin/env bash
# End-to-end benchmark: the real window (under Xvfb) against a real Mosquitto,
# beside mosquitto_sub, driven by `mqscope simulate`.
#
#   scripts/bench-e2e.sh                 burst (500,000 msgs / 10,000 topics, flat out)
#                                        then steady 20,000 msg/s for 60 s over 100,000 topics
#   scripts/bench-e2e.sh --soak 30       steady load for 30 minutes, RSS each minute
#   STEADY_S=20 scripts/bench-e2e.sh     a shorter steady phase
#
# Needs: mosquitto, mosquitto-clients, xvfb, xdotool, python3
# (apt-get install -y mosquitto mosquitto-clients xvfb xdotool).
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

charts=()
for i in 0 1 2 3 4 5 6 7 8 9; do charts+=(--chart "sim/zone_$i/rack_0/sensor_$i:value"); done
DISPLAY=$display MQSCOPE_CONFIG_DIR="$work/config" "$bin" --broker "mqtt://127.0.0.1:$port" --subscribe '#' \
  --stats-json "$work/stats.json" "${charts[@]}" >"$work/app.log" 2>&1 & pids+=($!)
app_pid=$!
( mosquitto_sub -p "$port" -t '#' -q 0 | wc -l >"$work/sub.count" ) & pids+=($!)
# Load starts only once the window is up and subscribed (a cold start can take seconds).
for _ in $(seq 1 60); do
  [ -f "$work/stats.json" ] && grep -q '"state": "connected"' "$work/stats.json" && break
  sleep 0.5
done
sleep 1

stat() { python3 -c "import json,sys; d=json.load(open('$work/stats.json')); print(d$1)"; }
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
burst_received=$(stat "['received']"); burst_applied=$(stat "['applied']")

# Expand the tree for the steady phase (the "Expand all" button of the default layout).
DISPLAY=$display xdotool mousemove 324 37 click 1 || true

minutes=$(( soak_minutes > 0 ? soak_minutes : 0 ))
duration=$(( minutes > 0 ? minutes * 60 : steady_s ))
echo "== steady: $steady_rate msg/s for $duration s over 100,000 topics, tree expanded, 10 charted series"
"$bin" simulate --broker "mqtt://127.0.0.1:$port" --rate "$steady_rate" --count $(( steady_rate * duration )) \
  --topics 100000 --payload json >"$work/steady.out" 2>/dev/null & sim=$!
elapsed=0
while kill -0 "$sim" 2>/dev/null; do
  sleep 5; elapsed=$((elapsed + 5)); rss=$(sample_rss)
  if [ "$minutes" -gt 0 ] && [ $((elapsed % 60)) -eq 0 ]; then echo "minute $((elapsed / 60)): RSS $((rss / 1048576)) MiB"; fi
done
p50=$(stat "['frame_ms_p50']"); p99=$(stat "['frame_ms_p99']")
p50=$(printf '%.2f' "$p50"); p99=$(printf '%.2f' "$p99")
wait_quiet
sleep 1
pkill -f "mosquitto_sub -p $port" || true
sleep 1
sent=$(( 500000 + $(grep -o 'sent [0-9]*' "$work/steady.out" | grep -o '[0-9]*') ))
received=$(stat "['received']"); applied=$(stat "['applied']")
sub=$(cat "$work/sub.count" 2>/dev/null || echo 0)
ratio=$(python3 -c "print(f'{$received / max($sub, 1):.3f}')")
rss_mib=$((peak_rss / 1048576))
machine="$(nproc) cores, $(lscpu | sed -n 's/^Model name:\s*//p' | head -1)"
table=$(cat <<TABLE

## End to end — \`scripts/bench-e2e.sh\` ($(date -u +%Y-%m-%d), $machine, steady ${duration} s at ${steady_rate}/s)

| sent | mosquitto_sub received | mqscope received | mqscope applied | mqscope / mosquitto_sub | frame p50 | frame p99 (steady) | peak RSS | first frame |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
| $sent | $sub | $received | $applied | $ratio | ${p50} ms | ${p99} ms | ${rss_mib} MiB | ${first_frame_ms} ms |

Burst alone: $burst ($burst_received received, $burst_applied applied by mqscope).
TABLE
)
echo "$table"
echo "$table" >> BENCHMARKS.md
