#!/usr/bin/env bash
# Regenerate assets/demo.png: the demo under Xvfb, its four temperature sensors
# in the default wildcard chart, the first one open in the inspector. Needs xvfb, xdotool and
# imagemagick (apt-get install -y xvfb xdotool imagemagick). The clicks are
# positions in the default 1360x840 layout; check the picture after a layout change.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release
display=:95
Xvfb "$display" -screen 0 1360x840x24 >/dev/null 2>&1 &
xvfb=$!
config=$(mktemp -d)
trap 'kill "$app" "$xvfb" 2>/dev/null || true; rm -rf "$config"' EXIT
export DISPLAY=$display
sleep 2
# A fresh window: eframe keeps window and panel sizes in XDG_DATA_HOME.
MQSCOPE_CONFIG_DIR=$config XDG_DATA_HOME=$config ./target/release/mqscope --demo &
app=$!
sleep 4
# The demo opens with its "Temperatures" chart (iot/+/temperature, alert above 28).
sleep 2
xdotool mousemove 98 567 click 1          # iot/temp_sensor_001/temperature
sleep 40                                   # let the chart grow
xdotool mousemove 1200 720                 # hover the chart: shows time and value
sleep 2
import -window root assets/demo.png
echo "wrote assets/demo.png"
