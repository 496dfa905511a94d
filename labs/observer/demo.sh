#!/usr/bin/env bash
# The observer exercise end to end: the name server, observable-server, two observers, then the
# notifier; both observers print the update. Each program's output is shown behind a coloured
# [name] prefix. Then everything is stopped with Ctrl-C (the observers unregister) and the same
# steps are printed for separate terminals.
#
#   labs/observer/demo.sh BIN_DIR [--tmux] [MESSAGE]   (./labkit demo observer [--tmux] [MESSAGE])
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../common/demo_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../common/demo_lib.sh"

DEMO_USAGE="Usage: labs/observer/demo.sh BIN_DIR [--tmux] [MESSAGE]   (./labkit demo observer)
Runs the name server, observable-server, two observers and the notifier; --tmux opens them in
tmux panes."
demo_init observer "$@"
observable="$DEMO_BIN/observable-server"
observer="$DEMO_BIN/observer"
notifier="$DEMO_BIN/notifier"
demo_require "$observable" "$observer" "$notifier"
message="${DEMO_ARGS[0]:-Hello, Observers!}"

if $DEMO_TMUX; then
    demo_tmux "name server|$(demo_ns_command)|^URI = |rror" \
              "observable server|$observable|Press Ctrl-C|rror" \
              "observer|$observer|waiting for updates|rror" \
              "notifier|$notifier \"$message\""
    exit 0
fi

# 1. The name server, then the observable: it registers 'example.observable'.
demo_start_name_server
demo_start observable-server "$observable"
demo_wait_for observable-server 'Press Ctrl-C'
# 2. Two observers: each serves its own update() and registers it with the observable.
for name in observer-1 observer-2; do
    demo_start "$name" "$observer"
    demo_wait_for "$name" 'waiting for updates'
done
# 3. The notifier asks the observable to call every observer back.
demo_run notifier "$notifier" "$message"
demo_wait_for_line observer-1 "Update received: $message" 5
demo_wait_for_line observer-2 "Update received: $message" 5
# 4. Ctrl-C to each: observers unregister, the observable takes its name out.
demo_stop observer-1
demo_stop observer-2
demo_stop observable-server
demo_stop name-server

demo_say "done: both observers received the notification"
demo_terminals "the name server|$(demo_ns_command)" \
               "the observable|$observable" \
               "an observer (or more)|$observer" \
               "the notifier|$notifier \"$message\""
