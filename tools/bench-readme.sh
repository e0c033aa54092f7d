#!/bin/sh
# Regenerate the README's performance table: every benchmark at the README's sizes with --json into
# DIR (default results/bench), plus `make demo`'s timings when results/demo/demo-timing.json exists,
# then print the Markdown table (`bmdcheck bench table`). Prefix with `nice` on a shared machine.
#   tools/bench-readme.sh [DIR]          # all benchmarks, then the table
#   TABLE_ONLY=1 tools/bench-readme.sh   # only the table, from the JSON files already in DIR
set -eu
BMD=${BMD:-.venv/bin/bmdcheck}
DIR=${1:-results/bench}
mkdir -p "$DIR"
run() {  # NAME ARGS...: one benchmark, its JSON written by temp file + rename
    name=$1; shift
    echo "bench $name: $*" >&2
    "$BMD" bench "$@" --json > "$DIR/$name.json.tmp" && mv "$DIR/$name.json.tmp" "$DIR/$name.json"
}
if [ -z "${TABLE_ONLY:-}" ]; then
    run steer steer --n 10000 --sampled
    run flight flight
    run engage engage
    run assess assess --aimed-10k
fi
files=""
for f in steer flight engage assess stream; do
    [ -f "$DIR/$f.json" ] && files="$files $DIR/$f.json"
done
[ -f results/demo/demo-timing.json ] && files="$files results/demo/demo-timing.json"
# shellcheck disable=SC2086
"$BMD" bench table $files
