#!/usr/bin/env bash
# Regenerate assets/demo.png: the demo under Xvfb, four temperature sensors
# charted, the first one open in the inspector. Needs xvfb, xdotool and
# imagemagick (apt-get install -y xvfb xdotool imagemagick). The clicks are
# positions in the default 1360x840 layout; check the picture after a layout change.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release
display=:97
Xvfb "$display" -screen 0 1360x840x24 >/dev/null 2>&1 &
xvfb=$!
config=$(mktemp -d)
trap 'kill "$app" "$xvfb" 2>/dev/null || true; rm -rf "$config"' EXIT
export DISPLAY=$display
sleep 1
MQSCOPE_CONFIG_DIR=$config ./target/release/mqscope --demo &
app=$!
sleep 4
for row_y in 521 567 613 659; do          # iot/temp_sensor_00N/temperature rows
  xdotool mousemove 98 "$row_y" click 1; sleep 0.7
  xdotool mousemove 655 119 click 1; sleep 0.5  # the "📈 temperature" button
done
xdotool mousemove 98 521 click 1
sleep 40                                   # let the chart grow
xdotool mousemove 900 780                  # hover the chart: shows time and value
sleep 1
import -window root assets/demo.png
echo "wrote assets/demo.png"
