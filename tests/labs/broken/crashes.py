"""A broken program of any role: prints a line that looks like progress, then crashes with a
segmentation fault, as a C++ program with a bad pointer does. The tests must say it crashed."""
import os
import signal

print("Starting...", flush=True)
os.kill(os.getpid(), signal.SIGSEGV)
