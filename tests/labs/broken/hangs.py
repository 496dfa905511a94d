"""A broken program of any role: prints a line that looks like progress, then hangs without
doing anything (no registration, no call). The tests must time it out and say so."""
import sys
import time

print("Starting...", flush=True)
while True:
    time.sleep(60)
