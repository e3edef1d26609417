#!/bin/sh
# A versioned (version 2) callout script for types "vfio_ap-passthrough": it reads and changes
# a running device's attributes, kept in ATTRS beside it. Every call is logged to LOG beside it.
# Arguments: -t type -e event -a action -s state -u uuid -p parent; JSON on stdin.
dir=$(dirname "$0")
type=$2 event=$4 action=$6 state=$8 uuid=${10} parent=${12}
input=$(cat)
echo "$(basename "$0") $event $action $state $type $uuid $parent $input" >> "$dir/LOG"
[ "$type" = "vfio_ap-passthrough" ] || exit 2
case "$event $action" in
    "get capabilities")
        echo '{"supports":{"version":2,'
        echo '"actions":["start","stop","define","undefine","modify","attributes","capabilities"],'
        echo '"events":["pre","post","notify","get","live"]}}'
        ;;
    "get attributes")
        if [ -f "$dir/ATTRS" ]; then cat "$dir/ATTRS"; else echo '[{}]'; fi
        ;;
    "live modify")
        echo "$input" | sed -e 's/.*"attrs":\(\[.*\]\)}$/\1/' > "$dir/ATTRS"
        ;;
    "pre "*|"post "*)
        ;;
    *)
        exit 1
        ;;
esac
