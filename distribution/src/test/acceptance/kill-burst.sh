#!/bin/sh
# kill -9 of the whole framework in the middle of a burst of mdevctl defines and modifies:
# afterwards every definition file is whole (the next run lists each one, reports nothing
# unreadable, and removes the temporaries of cut writes).
#   kill-burst.sh JAR WORKDIR
set -eu
jar=$1
work=$2
root=$work/root
defs=$root/etc/mdevctl.d/matrix
rm -rf "$work"
mkdir -p "$work"
script=$work/burst.gosh
i=0
while [ $i -lt 500 ]; do
    uuid=$(printf '5e1f0000-0000-4000-8000-%012d' $i)
    echo "mdevctl define -u $uuid -p matrix -t vfio_ap-passthrough" >> "$script"
    echo "mdevctl modify -u $uuid --addattr assign_domain --value 4" >> "$script"
    echo "mdevctl modify -u $uuid --addattr assign_adapter --value 3 --index 0" >> "$script"
    i=$((i + 1))
done
java -Dmdev.mdevctl.root="$root" -jar "$jar" --script "$script" > "$work/burst.out" 2>&1 &
pid=$!
tries=0
while [ "$(ls "$defs" 2>/dev/null | wc -l)" -lt 50 ] && [ $tries -lt 600 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
kill -9 $pid
wait $pid 2>/dev/null || true
files=$(ls "$defs" | wc -l)
if [ "$files" -lt 50 ] || [ "$files" -ge 500 ]; then
    echo "kill-burst: the kill did not land mid-burst ($files definitions)" >&2
    exit 1
fi
java -Dmdev.mdevctl.root="$root" -jar "$jar" mdevctl list -d > "$work/after.out" 2> "$work/after.err"
listed=$(grep -c 'matrix vfio_ap-passthrough manual' "$work/after.out" || true)
if [ "$listed" != "$files" ]; then
    echo "kill-burst: $files definition files, $listed listed" >&2
    exit 1
fi
if grep -q skipping "$work/after.err"; then
    echo "kill-burst: unreadable definitions after the kill:" >&2
    grep skipping "$work/after.err" >&2
    exit 1
fi
if [ -n "$(ls -A "$defs" | grep '^\.' || true)" ]; then
    echo "kill-burst: temporaries left after the next start" >&2
    exit 1
fi
echo "kill-burst: killed after $files definitions, each whole"
