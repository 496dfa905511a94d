#!/usr/bin/env bash
# The instructor's hidden extension scenarios (instructor/extensions/) can tell a solution from a
# lab program without the extension: each reference solution passes its scenario, and the kit's
# own server of that lab fails it with a readable line. (ctest starter_extensions, label starter)
#
#   extensions_test.sh KIT BIN_DIR
set -euo pipefail
kit="$1"
bin="$2"
scenarios="$kit/instructor/extensions/extension_tests.py"
reference="$kit/instructor/extensions/python"
status=0
while read -r scenario role program; do
    common=(--name-server "$bin/pyro-ns")
    echo "== $scenario: the reference solution $program.py"
    if ! /usr/bin/python3 "$scenarios" "$scenario" "${common[@]}" "--$role" \
            "$reference/$program.py"; then
        echo "FAILED: the reference solution failed $scenario"
        status=1
    fi
    echo "== $scenario: the lab's own $role (no extension) must fail it"
    if output="$(/usr/bin/python3 "$scenarios" "$scenario" "${common[@]}" "--$role" \
            "$bin/$role" 2>&1)"; then
        printf '%s\n' "$output"
        echo "FAILED: $scenario passed the lab's $role, which has no extension"
        status=1
    elif ! grep -q "^FAILED $scenario: " <<<"$output" || grep -q '^Traceback' <<<"$output"; then
        printf '%s\n' "$output"
        echo "FAILED: $scenario failed the lab's $role without a readable FAILED line"
        status=1
    else
        grep "^FAILED $scenario: " <<<"$output" | cut -c1-200
    fi
done <<'LIST'
echo_upper_count echo-server echo_server
observer_topics observable-server observable_server
introspect_defaults introspect-server introspect_server
colorsquare_fade colorsquare-receive colorsquare_receive
LIST
[[ $status -eq 0 ]] && echo "passed: every hidden scenario passes its reference and fails the lab without the extension"
exit "$status"
