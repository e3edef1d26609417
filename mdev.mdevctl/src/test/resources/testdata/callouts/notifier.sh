#!/bin/sh
# A notifier: logs what it hears.
dir=$(dirname "$0")
echo "$(basename "$0") $4 $6 $8 $2 ${10}" >> "$dir/LOG"
