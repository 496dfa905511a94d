"""A broken program of any role: prints a line that looks like progress, then crashes with a
segmentation fault, as a C++ program with a bad pointer does. The tests must say it crashed.
(No core file: writing one can take seconds on a loaded machine.)"""
import os
import resource
import signal

print("Starting...", flush=True)
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
os.kill(os.getpid(), signal.SIGSEGV)
