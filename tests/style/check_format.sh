#!/usr/bin/env bash
# Fails when a C++ file of the kit differs from what clang-format makes of it (.clang-format).
# Usage: check_format.sh SOURCE_DIR
set -euo pipefail
cd "$1"
mapfile -t files < <(find libpyro nameserver gateway labs examples tests bench \
                          \( -name '*.cpp' -o -name '*.hpp' \) -not -path '*/build*' 2>/dev/null | sort)
bad=()
for file in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
        bad+=("$file")
    fi
done
if [[ ${#bad[@]} -gt 0 ]]; then
    echo "not formatted (run: clang-format -i ${bad[*]}):"
    printf '  %s\n' "${bad[@]}"
    exit 1
fi
echo "${#files[@]} files formatted as .clang-format says"
