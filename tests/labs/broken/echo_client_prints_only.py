"""A broken echo client: prints exactly what the real one prints, but calls nothing."""
import sys

message = sys.argv[1] if len(sys.argv) > 1 else "HOLA"
print("Sent: %s" % message)
print("Reply: %s" % message)
