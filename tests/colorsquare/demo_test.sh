#!/usr/bin/env bash
# Runs labs/colorsquare/demo.sh as `./labkit demo colorsquare` does and checks that it shows the
# lab working, exits 0, and leaves no process behind. Every process the demo starts inherits a
# token in its environment, which is how leftovers are found (and then killed by their ids).
# Usage: demo_test.sh SOURCE_DIR BIN_DIR
set -euo pipefail
source_dir="$1" bin_dir="$2"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
token="colorsquare-demo-test-$$-$RANDOM"

status=0
COLORSQUARE_DEMO_TOKEN="$token" DEMO_DELAY=0.2 timeout 40 \
    "$source_dir/labs/colorsquare/demo.sh" "$bin_dir" >"$out" 2>&1 </dev/null || status=$?
cat "$out"
fail() { echo "demo_test: FAIL: $*" >&2; exit 1; }

sleep 0.5
left=()
for environ in /proc/[0-9]*/environ; do
    if grep -qzx -- "COLORSQUARE_DEMO_TOKEN=$token" "$environ" 2>/dev/null; then
        pid="${environ#/proc/}" && left+=("${pid%/environ}")
    fi
done
if [[ ${#left[@]} -gt 0 ]]; then
    ps -o pid,args -p "${left[*]}" >&2 || true
    kill -KILL "${left[@]}" 2>/dev/null || true
    fail "processes left behind (killed now): ${left[*]}"
fi
[[ $status -eq 0 ]] || fail "demo exited with $status"
for expected in "square is now RED (255, 0, 0)" "square is now (0, 128, 255)" \
                "receiver running for" "Sorry, '300,0,0'" "set_color(0, 128, 255)" \
                "removed from the name server" "open three terminals"; do
    grep -qF -- "$expected" "$out" || fail "no line with '$expected'"
done
echo "demo_test: ok"
