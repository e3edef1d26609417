#!/bin/sh
# A version-1 callout script (no capabilities answer) that refuses to start any device.
dir=$(dirname "$0")
event=$4 action=$6 state=$8
cat > /dev/null
echo "$(basename "$0") $event $action $state" >> "$dir/LOG"
[ "$event $action" = "pre start" ] && { echo "no start today" >&2; exit 1; }
[ "$event" = "get" ] && exit 1
exit 0
