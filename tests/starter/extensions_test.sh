#!/usr/bin/env bash
# The instructor's hidden extension scenarios (instructor/extensions/) can tell a solution from a
# lab program without the extension: each reference solution passes its scenario, and the kit's
# own server of that lab fails it with a readable line. (ctest starter_extensions, label starter)
#
# With PREFIX (an installed libpyro) and WORK, the C++ reference solutions
# (instructor/extensions/cpp/) are built too and pass their scenarios.
#
#   extensions_test.sh KIT BIN_DIR [PREFIX WORK]
set -euo pipefail
kit="$1"
bin="$2"
prefix="${3:-}"
work="${4:-}"
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
if [[ -n "$prefix" ]]; then
    mkdir -p "$work"
    build="$work/extensions-cpp"
    rm -rf "$build"
    launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    if ! cmake -S "$kit/instructor/extensions/cpp" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" \
            "${launcher[@]}" >"$work/extensions-cpp.log" 2>&1 \
        || ! cmake --build "$build" -j 2 >>"$work/extensions-cpp.log" 2>&1; then
        tail -n 40 "$work/extensions-cpp.log"
        echo "FAILED: the C++ reference solutions do not build"
        exit 1
    fi
    while read -r scenario role program; do
        echo "== $scenario: the C++ reference solution $program"
        if ! /usr/bin/python3 "$scenarios" "$scenario" --name-server "$bin/pyro-ns" "--$role" \
                "$build/bin/$program"; then
            echo "FAILED: the C++ reference solution $program failed $scenario"
            status=1
        fi
    done <<'LIST'
echo_upper_count echo-server echo-server-extended
introspect_defaults introspect-server introspect-server-extended
LIST
fi
[[ $status -eq 0 ]] && echo "passed: every hidden scenario passes its reference and fails the lab without the extension"
exit "$status"
