#!/usr/bin/env bash
# The kit as a new user meets it: a pristine Debian 12 root (debootstrap --variant=minbase), a
# clone of the kit alone (no ../shared beside it), then the README's two commands inside it.
# For developers, as root; needs debootstrap and Debian's mirror (the machine's apt sources).
#
#   tools/pristine_check.sh [ROOT_DIR] [-- COMMAND...]
#
# ROOT_DIR defaults to /var/tmp/libpyro-pristine; an existing pristine base root
# (ROOT_DIR.base) is copied instead of bootstrapped again. The default command is
#   ./labkit demo echo && CI=true ./labkit test
# Output goes to the terminal and ROOT_DIR.log.
set -euo pipefail

kit_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="${1:-/var/tmp/libpyro-pristine}"
[[ $# -gt 0 ]] && shift
[[ "${1:-}" == "--" ]] && shift
command=("$@")
[[ ${#command[@]} -gt 0 ]] || command=(bash -c './labkit demo echo </dev/null && CI=true ./labkit test')

say() { printf 'pristine: %s\n' "$*"; }
[[ $(id -u) -eq 0 ]] || { say "run as root (it makes a chroot)"; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap

mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)"
mirror="${mirror:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)}"

mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT

rm -rf "$root"
if [[ -d "$root.base" ]]; then
    say "copying the pristine base $root.base"
    cp -a "$root.base" "$root"
else
    say "bootstrapping Debian 12 into $root.base (a few minutes)"
    debootstrap --variant=minbase bookworm "$root.base" "$mirror" >"$root.debootstrap.log" 2>&1
    cp -a "$root.base" "$root"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
for fs in proc sys dev dev/pts; do
    mount --bind "/$fs" "$root/$fs"
    mounted+=("$root/$fs")
done

# A clone of the committed kit alone, in root's home inside the new system: what a student gets.
kit_in_root="root/kit"
git clone -q "$kit_dir" "$root/$kit_in_root"
say "kit cloned at $(git -C "$root/$kit_in_root" log -1 --format=%h) into $root/$kit_in_root (no ../shared beside it)"
say "running: ${command[*]}"
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
    bash -c 'cd "/$0" && "$@"' "$kit_in_root" "${command[@]}" 2>&1 | tee "$root.log"
status=${PIPESTATUS[0]}
say "exit status $status (log: $root.log)"
exit "$status"
