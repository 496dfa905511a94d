"""Keeping the fixed port block private.

As root with unshare(1) available, a program re-runs itself in a new network namespace
(`unshare -n`) where only its own loopback interface exists; nothing else on the machine (a
parallel ctest, a student's name server) can hold or see the ports. Otherwise it runs directly
and refuses to start when a fixed port is taken.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys

MARKER = "LIBPYRO_CAPTURE_NETNS"


def can_unshare():
    return os.geteuid() == 0 and shutil.which("unshare") is not None and shutil.which("ip") is not None


def inside():
    return os.environ.get(MARKER) == "1"


def rerun_isolated(argv):
    """Run argv (a list) in a private network namespace; returns its exit code, or None when
    no namespace could be made."""
    env = dict(os.environ)
    env[MARKER] = "1"
    unshare = shutil.which("unshare")
    try:
        probe = subprocess.run([unshare, "-n", "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if probe.returncode != 0:
        return None
    try:
        return run_child([unshare, "-n", "--"] + argv, env=env)
    except KeyboardInterrupt:
        return 130


def loopback_up():
    """Inside a fresh namespace the loopback interface starts down."""
    ip = shutil.which("ip") or "/usr/sbin/ip"
    subprocess.run([ip, "link", "set", "lo", "up"], check=True)


def busy_port(ports, udp_ports, host="127.0.0.1"):
    """The first (name, port, protocol) that cannot be bound, or None."""
    for name, port in ports.items():
        kinds = [socket.SOCK_DGRAM] if name in udp_ports else [socket.SOCK_STREAM]
        for kind in kinds:
            sock = socket.socket(socket.AF_INET, kind)
            try:
                if kind == socket.SOCK_STREAM:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((host, port))
            except OSError:
                return name, port, "udp" if kind == socket.SOCK_DGRAM else "tcp"
            finally:
                sock.close()
    return None


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def stop_on_sigterm():
    """SIGTERM/SIGHUP (ctest's timeout, a closed terminal) unwind like Ctrl-C, so every
    `finally` that stops a started process runs."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)


def run_child(argv, env=None):
    """Run a helper program; if we are interrupted, ask it to stop (SIGTERM) and wait for it,
    so that it can stop the processes it started."""
    proc = subprocess.Popen(argv, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise


def self_command():
    return [sys.executable, "-B", os.path.abspath(sys.argv[0])] + sys.argv[1:]
