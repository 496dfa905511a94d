"""Child processes for the Python test drivers: start, read lines, wait, stop by pid.

    import processes
    server = processes.Process(["pyro-ns", "-p", str(processes.free_port())], env=env)
    server.wait_for(r"^URI = ", timeout=10)        # the line, or None
    ...
    server.stop()                                  # SIGKILL by pid, reaped

The guarantee the drivers rely on: a child never outlives its test. Every child is started with
PR_SET_PDEATHSIG, so a driver that is killed (a ctest timeout) takes its children along, and
Process.stop() ends a child by its pid (or the process group it leads), never by a name, and
always reaps it. The drivers call stop() in `finally` or `__exit__`, so a failed check still
cleans up. This is the Python twin of tests/support/process.hpp.
"""

import collections
import ctypes
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
READER_JOIN = 2.0  # seconds to wait for the last output of a program that has ended

# Loaded in the parent: after fork the child only calls prctl, never dlopen.
try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # not Linux with a libc: children just do not die with the test
    _LIBC = None


def die_with_parent(death_signal=signal.SIGKILL):
    """A preexec_fn: the child gets `death_signal` when the test process dies, and Ctrl-C works
    in it as in a shell even when ctest started the test with SIGINT ignored."""
    parent = os.getpid()

    def setup():
        if _LIBC is not None:
            _LIBC.prctl(PR_SET_PDEATHSIG, death_signal)
            if os.getppid() != parent:  # the test died before prctl took effect
                os._exit(127)
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    return setup


def free_port(kind=socket.SOCK_STREAM):
    """A 127.0.0.1 port (TCP, or UDP with SOCK_DGRAM) that was free a moment ago. Another process
    could take it before the program under test binds it; the drivers accept that."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def alive(pid):
    """Whether a process with this pid exists and is not a zombie (works for any pid, not only
    our children, so a driver can check that what a program started is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Process:
    """One started program; its stdout and stderr are read line by line in the background, so a
    chatty program never blocks on a full pipe and a test can wait for a line as it comes.

    merge_stderr: stderr goes into stdout (one stream, "out"). new_session: the program leads a
    process group of its own, and signals go to that group (a `bash -c` and what it started).
    stdin: text the program reads as its input, then end of input (default: no input at all).
    Raises OSError when the program cannot be started."""

    def __init__(self, argv, env=None, cwd=None, merge_stderr=False, new_session=False,
                 death_signal=signal.SIGKILL, stdin=None):
        self.argv = list(argv)
        self.new_session = new_session
        self.last_output = time.monotonic()
        self._lines = {"out": [], "err": []}
        self._changed = threading.Condition()
        # Input comes from an unlinked temporary file: the program reads it at its own pace and
        # sees its end, as with `program < file`, and no writer thread can block on a full pipe.
        source = subprocess.DEVNULL
        if stdin is not None:
            source = tempfile.TemporaryFile()
            source.write(stdin.encode("utf-8"))
            source.seek(0)
        self.process = subprocess.Popen(
            self.argv, cwd=cwd, env=env, stdin=source, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            start_new_session=new_session, preexec_fn=die_with_parent(death_signal))
        if stdin is not None:
            source.close()  # the child has its own copy
        self.pid = self.process.pid
        pipes = [(self.process.stdout, "out")]
        if not merge_stderr:
            pipes.append((self.process.stderr, "err"))
        self._open_streams = len(pipes)
        self._readers = [threading.Thread(target=self._read, args=pipe, daemon=True)
                         for pipe in pipes]
        for reader in self._readers:
            reader.start()

    def _read(self, pipe, stream):
        for raw in pipe:
            with self._changed:
                self._lines[stream].append(raw.decode("utf-8", "replace").rstrip("\r\n"))
                self.last_output = time.monotonic()
                self._changed.notify_all()
        with self._changed:
            self._open_streams -= 1
            self._changed.notify_all()

    def lines(self, stream="out"):
        """The lines printed on the stream so far, without their line ends."""
        with self._changed:
            return list(self._lines[stream])

    def output_ended(self):
        """Whether every captured stream has reached its end."""
        with self._changed:
            return self._open_streams == 0

    def wait_until(self, predicate, timeout):
        """Waits until predicate() is true (it is called with the output lock held, and at least
        every 50 ms, so it may also look at running()); False when the timeout passes first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.05))
        return True

    def wait_for(self, pattern, timeout, stream="out"):
        """The first line of the stream (from its start) matching the regex `pattern`, or None
        once the timeout passes or the program's output has ended without it."""
        regex = re.compile(pattern)

        def found():
            return next((line for line in self._lines[stream] if regex.search(line)), None)

        self.wait_until(lambda: found() is not None or self._open_streams == 0, timeout)
        with self._changed:
            return found()

    def join_readers(self, timeout=READER_JOIN):
        """Waits until the output of a program that has ended is read to its end."""
        for reader in self._readers:
            reader.join(timeout)

    def wait_exit(self, timeout):
        """The exit code (negative: the signal that ended it), or None if still running after
        `timeout` seconds. Once it returns a code, all the output has been read."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.join_readers()
        return code

    def running(self):
        return self.process.poll() is None

    def state(self):
        """"still running", "exit code N" or "killed by SIGNAME", for messages."""
        code = self.process.poll()
        if code is None:
            return "still running"
        if code < 0:
            return "killed by " + signal.Signals(-code).name
        return "exit code %d" % code

    def send_signal(self, signum):
        """Sends a signal to the pid (to its process group with new_session), if it still runs.
        Before it is reaped the pid cannot be reused, so this never hits another process."""
        if not self.running():
            return
        try:
            if self.new_session:
                os.killpg(self.pid, signum)
            else:
                os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def stop(self, first=signal.SIGKILL, grace=5.0):
        """Ends the program: sends `first` (SIGINT or SIGTERM for a clean stop; the default
        SIGKILL kills at once), then SIGKILL if it still runs `grace` seconds later; reaps it and
        reads its last output. Returns False only when it had to be killed after the grace."""
        clean = True
        if self.running():
            self.send_signal(first)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                clean = False
                self.send_signal(signal.SIGKILL)
        self.process.wait()
        self.join_readers()
        return clean


Finished = collections.namedtuple("Finished", "returncode output timed_out")


class LabelledProcess(Process):
    """A Process with a label ("pyro-ns", "observer on host 3") whose describe() quotes the last
    lines it printed, for a failure message that shows what each program said."""

    QUOTED_LINES = 12

    def __init__(self, label, argv, env=None, **options):
        super().__init__(argv, env=env, **options)
        self.label = label

    def describe(self):
        parts = []
        for stream in ("out", "err"):
            lines = self.lines(stream)
            if lines:
                quoted = ["    | " + line for line in lines[-self.QUOTED_LINES:]]
                parts.append("on std%s:\n%s" % (stream, "\n".join(quoted)))
        if not parts:
            return "  %s (%s) printed nothing" % (self.label, self.state())
        return "  %s (%s) printed %s" % (self.label, self.state(), "\n  and ".join(parts))


def run(argv, timeout, env=None, cwd=None, death_signal=signal.SIGKILL):
    """Runs a program to its end and returns Finished(returncode, output, timed_out): stdout and
    stderr merged, decoded as UTF-8. It runs in a session of its own, so that when it takes more
    than `timeout` seconds it is killed together with everything it started (timed_out is then
    True and returncode negative)."""
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, preexec_fn=die_with_parent(death_signal))
    timed_out = False
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the group is the program's own
        except ProcessLookupError:
            pass
        output, _ = process.communicate()
    return Finished(process.returncode, output.decode("utf-8", "replace"), timed_out)
