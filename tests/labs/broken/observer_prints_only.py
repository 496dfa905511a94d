"""A broken observer: says it registered and waits, but never calls register_observer."""
import time

print("Observer PYRO:obj_0123456789abcdef0123456789abcdef@127.0.0.1:1 registered; "
      "waiting for updates.", flush=True)
print("Press Ctrl-C to stop.", flush=True)
while True:
    time.sleep(60)
