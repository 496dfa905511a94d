"""Lab 2, exercise 4 - the colour square transmitter in Python Pyro4 (twin of
colorsquare_transmit.cpp): RED, GREEN, BLUE, R,G,B (0-255 each), TIME, QUIT.

Run with /usr/bin/python3; finds the name server like Pyro4 does (PYRO_NS_HOST, PYRO_NS_PORT).
"""
import sys

import Pyro4
import Pyro4.errors

NAMED = {"RED": (255, 0, 0), "GREEN": (0, 255, 0), "BLUE": (0, 0, 255)}
SUMMARY = "RED, GREEN, BLUE, R,G,B (three numbers 0-255, e.g. 0,128,255), TIME or QUIT"


def parse_rgb(line):
    """(r, g, b) from 'R,G,B', or raises ValueError saying what is wrong."""
    parts = [part.strip() for part in line.split(",")]
    if len(parts) != 3:
        raise ValueError("'%s': R,G,B needs exactly three numbers, got %d" % (line, len(parts)))
    for part in parts:
        if not part.lstrip("-").isdigit():
            raise ValueError("'%s': '%s' is not a whole number; each of R,G,B is 0-255"
                             % (line, part))
        if not 0 <= int(part) <= 255:
            raise ValueError("'%s': %s is out of range; each of R,G,B is 0-255" % (line, part))
    return tuple(int(part) for part in parts)


def describe_duration(seconds):
    seconds = int(max(seconds, 0))
    hours, minutes, secs = seconds // 3600, seconds // 60 % 60, seconds % 60
    if hours:
        return "%d h %02d min %02d s" % (hours, minutes, secs)
    if minutes:
        return "%d min %02d s" % (minutes, secs)
    return "%d s" % secs


def main():
    # [handout:todo.lookup]
    square = Pyro4.Proxy("PYRONAME:example.colorsquare")
    # [/handout:todo.lookup]
    try:
        square._pyroBind()  # connect now, so a missing receiver shows up at once
        print("Connected to 'example.colorsquare' at", square._pyroUri, flush=True)
        print("Type %s." % SUMMARY, flush=True)
        while True:
            try:
                line = input("colour> ").strip()
            except EOFError:
                print()
                break
            if not sys.stdin.isatty():
                print(line)  # input from a file: show it, so the output reads as a dialogue
            word = line.upper()
            if word in ("QUIT", "EXIT"):
                break
            elif word in ("HELP", "?"):
                print("Commands: %s." % SUMMARY)
            elif word in NAMED:
                # [handout:todo.set_color_named]
                square.set_color(*NAMED[word])
                # [/handout:todo.set_color_named]
                print("square is now %s (%d, %d, %d)" % ((word,) + NAMED[word]))
            elif word == "TIME":
                # [handout:todo.elapsed]
                print("receiver running for", describe_duration(square.elapsed()))
                # [/handout:todo.elapsed]
            elif "," in line or line[:1].isdigit() or line[:1] == "-":
                try:
                    r, g, b = parse_rgb(line)
                except ValueError as mistake:
                    print("Sorry,", mistake)
                    continue
                # [handout:todo.set_color]
                square.set_color(r, g, b)
                # [/handout:todo.set_color]
                print("square is now (%d, %d, %d)" % (r, g, b))
            elif line:
                print("Sorry, '%s' is not a command; type %s" % (line, SUMMARY))
    except Pyro4.errors.NamingError as error:
        if "locate the nameserver" in str(error):  # no name server at all, not just no receiver
            print("colorsquare_transmit.py: error: %s; is a name server running? Start one with "
                  "'pyro-ns'." % error, file=sys.stderr)
        else:
            print("colorsquare_transmit.py: 'example.colorsquare' is not in the name server; "
                  "start colorsquare-receive first", file=sys.stderr)
        return 1
    except Pyro4.errors.CommunicationError as error:
        print("colorsquare_transmit.py: lost the receiver (%s); is colorsquare-receive still "
              "running?" % error, file=sys.stderr)
        return 1
    print("Bye.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
