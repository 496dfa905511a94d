"""A broken colorsquare transmitter: answers every line as the real one does, sends nothing."""
import sys

NAMED = {"RED": (255, 0, 0), "GREEN": (0, 255, 0), "BLUE": (0, 0, 255)}
print("Connected to 'example.colorsquare' at PYRO:obj_0123456789abcdef0123456789abcdef@127.0.0.1:1")
for line in sys.stdin:
    line = line.strip()
    print("colour> %s" % line)
    if line.upper() == "QUIT":
        break
    if line.upper() in NAMED:
        print("square is now %s (%d, %d, %d)" % ((line.upper(),) + NAMED[line.upper()]))
    elif line.upper() == "TIME":
        print("receiver running for 1 min 15 s")
    else:
        try:
            print("square is now (%d, %d, %d)" % tuple(int(part) for part in line.split(",")))
        except (ValueError, TypeError):
            print("Sorry, '%s' is not a command" % line)
print("Bye.")
