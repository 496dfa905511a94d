# shellcheck shell=bash
# demo_lib.sh — what the lab demos share. Sourced by labs/LAB/demo.sh, which `./labkit demo LAB`
# runs as `demo.sh BIN_DIR [--tmux] [ARGS]`.
#
# A demo starts the name server on a free loopback port, then the lab's programs in order, shows
# each one's output with a coloured [name] prefix, waits for the lines that prove it worked, stops
# everything (with Ctrl-C, as a student would) and prints how to do the same in separate
# terminals. Every program is remembered by its PID, and an EXIT trap stops whatever still runs,
# so a demo that fails or is interrupted leaves no process behind.
#
#   demo_init LAB "$@"                    BIN_DIR, --tmux, --monitor, --help; sets DEMO_BIN and
#                                         DEMO_ARGS
#   demo_require PROGRAM...               each must exist and be executable
#   demo_start_name_server                DEMO_NS on 127.0.0.1:free port, exported as PYRO_NS_*;
#                                         with --monitor, pyro-monitor first (PYRO_MONITOR)
#   demo_start NAME COMMAND...            start in the background, output prefixed, PID kept
#   demo_run NAME COMMAND...              start, then wait until it ends; fail unless exit code 0
#   demo_wait_for NAME REGEX [SECONDS]    wait for a line of NAME's output matching REGEX
#   demo_wait_for_line NAME LINE [SEC]    wait for exactly LINE
#   demo_stop NAME                        Ctrl-C (SIGINT), then SIGTERM and SIGKILL if it hangs
#   demo_terminals "TITLE|COMMAND"...     print the steps for separate terminals
#   demo_tmux "TITLE|COMMAND|READY"...    open those terminals as tmux panes instead
#
# A failed step prints one line, "demo LAB: error: …", on stderr and exits 1.

DEMO_LAB=""
DEMO_BIN=""
DEMO_NS=""           # pyro-ns from BIN_DIR, else the Python /usr/bin/pyro4-ns
DEMO_TMUX=false
DEMO_MONITOR=false   # --monitor: pyro-monitor runs along, every program reports to it
DEMO_MONITOR_URL=""
DEMO_ARGS=()         # arguments left for the lab's own use (e.g. a message)
DEMO_USAGE=""        # set by demo.sh before demo_init
DEMO_DIR=""          # a temporary folder with each program's output
DEMO_COLOUR=false
DEMO_PIDS=()         # every program started, in order...
DEMO_PID_NAMES=()    # ...with its name
DEMO_PREFIXERS=()    # the processes that prefix their output
declare -A DEMO_PID=()   # name -> PID of the latest program started under that name
declare -A DEMO_PREFIXER_OF=()
readonly DEMO_COLOURS=(36 33 35 32 34 31)  # cyan, yellow, magenta, green, blue, red

demo_say() {
    if $DEMO_COLOUR; then
        printf '\e[1m[demo]\e[0m %s\n' "$*"
    else
        printf '[demo] %s\n' "$*"
    fi
}

demo_die() {
    printf 'demo %s: error: %s\n' "${DEMO_LAB:-?}" "$*" >&2
    exit 1
}

demo_init() {
    DEMO_LAB="$1"
    shift
    local arg
    for arg in "$@"; do
        if [[ "$arg" == -h || "$arg" == --help ]]; then
            printf '%s\n' "$DEMO_USAGE"
            exit 0
        fi
    done
    [[ $# -ge 1 ]] || demo_die "missing BIN_DIR (the build's bin/ folder); see --help"
    DEMO_BIN="$(cd "$1" 2>/dev/null && pwd)" \
        || demo_die "BIN_DIR '$1' is not a folder; build the kit first: ./labkit build"
    shift
    for arg in "$@"; do
        if [[ "$arg" == --tmux ]]; then
            # shellcheck disable=SC2034  # read by the demo.sh scripts
            DEMO_TMUX=true
        elif [[ "$arg" == --monitor ]]; then
            DEMO_MONITOR=true
        else
            DEMO_ARGS+=("$arg")
        fi
    done
    if $DEMO_MONITOR && $DEMO_TMUX; then
        demo_die "--monitor and --tmux cannot be combined yet; use one of them"
    fi
    if $DEMO_MONITOR; then
        demo_require "$DEMO_BIN/pyro-monitor"
    fi
    if [[ -x "$DEMO_BIN/pyro-ns" ]]; then
        DEMO_NS="$DEMO_BIN/pyro-ns"
    elif [[ -x /usr/bin/pyro4-ns ]]; then
        DEMO_NS=/usr/bin/pyro4-ns
    else
        demo_die "no name server: neither $DEMO_BIN/pyro-ns nor /usr/bin/pyro4-ns (python3-pyro4)"
    fi
    [[ -t 1 && -z "${NO_COLOR:-}" ]] && DEMO_COLOUR=true
    DEMO_DIR="$(mktemp -d "${TMPDIR:-/tmp}/labkit-demo-$DEMO_LAB.XXXXXX")"
    trap demo_cleanup EXIT
    trap 'printf "\n"; demo_say "interrupted: stopping everything"; exit 130' INT
    trap 'exit 143' TERM
}

demo_require() {
    local program
    for program in "$@"; do
        [[ -x "$program" ]] || demo_die "$program is missing; build the kit first: ./labkit build"
    done
}

# Prints a TCP port on 127.0.0.1 that nothing uses right now.
demo_free_port() {
    local probe='import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
    /usr/bin/python3 -c "$probe" \
        || demo_die "cannot find a free port (needs /usr/bin/python3)"
}

# With --monitor: pyro-monitor on 127.0.0.1:8090 (another free port when 8090 is taken), showing
# the registry of the name server on port $1; every program started after it reports to it.
demo_start_monitor() {
    local ns_port="$1" port=0 line
    local probe='import socket, sys
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind(("127.0.0.1", 8090))
        except OSError:
            sys.exit(1)'
    /usr/bin/python3 -c "$probe" 2>/dev/null && port=8090
    demo_start monitor "$DEMO_BIN/pyro-monitor" --host 127.0.0.1 --port "$port" \
        --ns-host 127.0.0.1 --ns-port "$ns_port"
    demo_wait_for monitor 'open http://127\.0\.0\.1:[0-9]+/'
    line="$(grep -m1 -Eo 'http://127\.0\.0\.1:[0-9]+/' "$DEMO_DIR/monitor.log")"
    DEMO_MONITOR_URL="$line"
    port="${line#http://127.0.0.1:}"
    export PYRO_MONITOR="127.0.0.1:${port%/}"
    demo_say "the monitor shows every message: open $DEMO_MONITOR_URL in a browser" \
        "(PYRO_MONITOR=$PYRO_MONITOR is set for every program)"
}

# After the demo, the page still holds every message; on a terminal the monitor stays until
# Enter, so a lecturer can walk through the diagram.
demo_monitor_linger() {
    $DEMO_MONITOR && [[ -n "$DEMO_MONITOR_URL" && -t 0 && -t 1 ]] || return 0
    demo_alive "${DEMO_PID[monitor]:-0}" || return 0
    demo_say "the monitor keeps the messages at $DEMO_MONITOR_URL; press Enter to stop it"
    read -r || true
}

demo_start_name_server() {
    local port
    port="$(demo_free_port)"
    # The programs read these like Pyro4 does; nothing is broadcast beyond this machine.
    export PYRO_NS_HOST=127.0.0.1 PYRO_NS_PORT="$port" PYRO_HOST=127.0.0.1
    export PYRO_BROADCAST_ADDRS=127.0.0.1
    if $DEMO_MONITOR; then
        demo_start_monitor "$port"
    fi
    demo_say "name server on 127.0.0.1:$port;" \
        "the programs find it through PYRO_NS_HOST and PYRO_NS_PORT"
    demo_start name-server "$DEMO_NS" -n 127.0.0.1 -p "$port"
    demo_wait_for name-server '^URI = '
}

# Copies lines from stdin to stdout behind a "[name]" prefix, and to the program's log.
demo_prefix() {
    local name="$1" colour="$2" log="$3" line
    trap '' INT  # a Ctrl-C at the terminal must not cut off what programs print as they stop
    while IFS= read -r line || [[ -n "$line" ]]; do
        printf '%s\n' "$line" >>"$log"
        if [[ -n "$colour" ]]; then
            printf '\e[%sm[%s]\e[0m %s\n' "$colour" "$name" "$line"
        else
            printf '[%s] %s\n' "$name" "$line"
        fi
    done
}

demo_start() {
    local name="$1"
    shift
    local colour="" out
    $DEMO_COLOUR && colour="${DEMO_COLOURS[${#DEMO_PIDS[@]} % ${#DEMO_COLOURS[@]}]}"
    : >"$DEMO_DIR/$name.log"
    demo_say "$name: $*"
    # The program writes into a process substitution that prefixes each line; both PIDs are kept.
    exec {out}> >(demo_prefix "$name" "$colour" "$DEMO_DIR/$name.log")
    DEMO_PREFIXER_OF[$name]=$!
    DEMO_PREFIXERS+=("$!")
    # setsid: a Ctrl-C typed at the terminal reaches only this script, which then stops the
    # programs in order (servers before the name server). env: background jobs of a script
    # ignore SIGINT; the program gets the usual Ctrl-C behaviour back.
    setsid env --default-signal=INT "$@" </dev/null >&"$out" 2>&1 {out}>&- &
    DEMO_PID[$name]=$!
    DEMO_PIDS+=("$!")
    DEMO_PID_NAMES+=("$name")
    exec {out}>&-
    demo_say "started $name (pid ${DEMO_PID[$name]})"
}

demo_alive() {
    kill -0 "$1" 2>/dev/null
}

# Waits (up to 2 s) until NAME's prefixer has passed on everything the program printed.
demo_drain() {
    local prefixer="${DEMO_PREFIXER_OF[$1]}" tries=20
    while demo_alive "$prefixer" && ((tries-- > 0)); do
        sleep 0.1
    done
}

demo_run() {
    local name="$1" tries=150 status=0
    demo_start "$@"
    local pid="${DEMO_PID[$name]}"
    while demo_alive "$pid" && ((tries-- > 0)); do
        sleep 0.1
    done
    demo_alive "$pid" && demo_die "$name did not finish within 15 s"
    wait "$pid" || status=$?
    demo_drain "$name"
    ((status == 0)) || demo_die "$name ended with exit code $status (its output is above)"
}

# demo__wait NAME SECONDS WHAT GREP_ARGS... — waits until grep finds the line in NAME's log.
demo__wait() {
    local name="$1" seconds="$2" what="$3"
    shift 3
    local log="$DEMO_DIR/$name.log" tries=$((seconds * 10))
    while ((tries-- > 0)); do
        grep -q "$@" "$log" && return 0
        if ! demo_alive "${DEMO_PID[$name]}"; then
            demo_drain "$name"
            grep -q "$@" "$log" && return 0
            demo_die "$name ended without printing $what"
        fi
        sleep 0.1
    done
    demo_die "$name did not print $what within $seconds s"
}

demo_wait_for() {
    demo__wait "$1" "${3:-10}" "a line matching '$2'" -E -e "$2"
}

demo_wait_for_line() {
    demo__wait "$1" "${3:-10}" "the line '$2'" -F -x -e "$2"
}

# Stops one program: Ctrl-C first, like a student; SIGTERM after 5 s, SIGKILL after 2 more.
demo_stop_pid() {
    local name="$1" pid="$2" tries status=0
    if demo_alive "$pid"; then
        demo_say "stopping $name with Ctrl-C (SIGINT)"
        kill -INT "$pid" 2>/dev/null || true
        tries=50
        while demo_alive "$pid" && ((tries-- > 0)); do sleep 0.1; done
        if demo_alive "$pid"; then
            demo_say "$name is still running 5 s after Ctrl-C; sending SIGTERM"
            kill -TERM "$pid" 2>/dev/null || true
            tries=20
            while demo_alive "$pid" && ((tries-- > 0)); do sleep 0.1; done
            demo_alive "$pid" && kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null || status=$?
    demo_drain "$name"
    ((status == 0 || status == 127)) || demo_say "$name ended with exit code $status"
}

demo_stop() {
    demo_stop_pid "$1" "${DEMO_PID[$1]}"
}

# The EXIT trap: stops every program still running (last started first), then the prefixers.
demo_cleanup() {
    local status=$? i pid
    trap - EXIT INT TERM
    ((status == 0)) && demo_monitor_linger
    for ((i = ${#DEMO_PIDS[@]} - 1; i >= 0; i--)); do
        demo_alive "${DEMO_PIDS[i]}" && demo_stop_pid "${DEMO_PID_NAMES[i]}" "${DEMO_PIDS[i]}"
    done
    for pid in "${DEMO_PREFIXERS[@]}"; do
        demo_alive "$pid" && kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null || true
    done
    [[ -n "$DEMO_DIR" ]] && rm -rf "$DEMO_DIR"
    exit "$status"
}

# demo_terminals "TITLE|COMMAND"... — how to run the same steps by hand, one terminal each.
demo_terminals() {
    local -a counts=(no one two three four five six)
    local entry step=1
    printf '\nTo do the same yourself, open %s terminals and run, in this order:\n' "${counts[$#]}"
    for entry in "$@"; do
        printf '  %d. %-22s %s\n' "$step" "${entry%%|*}:" "${entry#*|}"
        step=$((step + 1))
    done
    printf 'The programs find the name server by themselves (localhost:9090).'
    printf ' Stop each with Ctrl-C.\n'
    printf 'Or let tmux open them for you: ./labkit demo %s --tmux\n' "$DEMO_LAB"
    if $DEMO_MONITOR; then
        printf 'To watch the messages, start %s/pyro-monitor first and put\n' "$DEMO_BIN"
        printf 'PYRO_MONITOR=127.0.0.1:8090 before each command; then open http://127.0.0.1:8090/\n'
    fi
}

# demo_tmux "TITLE|COMMAND|READY_REGEX"... — one tmux pane per step: the command is typed into a
# shell there, so students see it and can run it again; the next step waits (up to 10 s) for a
# line matching READY_REGEX in the pane.
demo_tmux() {
    command -v tmux >/dev/null \
        || demo_die "--tmux needs tmux; install it: sudo apt-get install tmux"
    if [[ -z "${TMUX:-}" ]] && ! [[ -t 0 && -t 1 ]]; then
        demo_die "--tmux needs a terminal to show its panes, and none is attached" \
            "(stdin or stdout is not a terminal); run it in a terminal window, or without --tmux"
    fi
    local session="labkit-$DEMO_LAB"
    if tmux has-session -t "=$session" 2>/dev/null; then
        demo_die "tmux session '$session' is already open; attach with: tmux attach -t $session" \
            "(or close it: tmux kill-session -t $session)"
    fi
    tmux new-session -d -s "$session" -x "$(tput cols 2>/dev/null || echo 160)" \
        -y "$(tput lines 2>/dev/null || echo 48)"
    tmux set-option -t "$session" pane-border-status top >/dev/null
    tmux set-option -t "$session" pane-border-format ' #{pane_title} ' >/dev/null
    local entry title command ready pane screen first=true tries
    for entry in "$@"; do
        IFS='|' read -r title command ready <<<"$entry"
        if $first; then
            pane="$(tmux display-message -p -t "=$session:" '#{pane_id}')"
            first=false
        else
            pane="$(tmux split-window -P -F '#{pane_id}' -t "=$session:")"
            tmux select-layout -t "=$session:" tiled >/dev/null
        fi
        tmux select-pane -t "$pane" -T "$title"
        tmux send-keys -t "$pane" "$command" Enter
        tries=50
        while [[ -n "$ready" ]] && ((tries-- > 0)); do
            screen="$(tmux capture-pane -p -J -t "$pane")" \
                || demo_die "the tmux session '$session' was closed"
            grep -Eq -e "$ready" <<<"$screen" && break
            sleep 0.2
        done
    done
    demo_say "tmux session '$session': Ctrl-C in a pane stops its program; Ctrl-B d leaves;" \
        "'tmux kill-session -t $session' closes it all"
    if [[ -n "${TMUX:-}" ]]; then
        tmux switch-client -t "=$session"
    else
        tmux attach-session -t "=$session"
    fi
}

# How a student starts the name server by hand: pyro-ns from the build, or the Python one.
demo_ns_command() {
    if [[ "$DEMO_NS" == /usr/bin/pyro4-ns ]]; then
        printf 'pyro4-ns'
    else
        printf '%s' "$DEMO_NS"
    fi
}
