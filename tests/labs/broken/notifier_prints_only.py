"""A broken notifier: prints what the real one prints, with a made-up count, but calls nothing."""
import sys

message = sys.argv[1] if len(sys.argv) > 1 else "Hello, Observers!"
print("Sent: %s" % message)
print("Observers notified: 2")
