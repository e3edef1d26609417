#!/bin/sh
# A versioned callout script whose get attributes answer is not JSON.
type=$2 event=$4 action=$6
cat > /dev/null
case "$event $action" in
    "get capabilities")
        echo '{"supports":{"version":2,"actions":["start","stop","define","undefine","modify","attributes","capabilities"],"events":["pre","post","notify","get"]}}'
        ;;
    "get attributes")
        echo '[{"assign_adapter": 5'
        ;;
esac
