#!/usr/bin/python3
"""What pyro4-ns answers to list(regex=...): the oracle of python_regex_test.cpp's table test.

Reads {"names": [...], "patterns": [...]} as JSON on stdin, registers every name in a real Pyro4
4.82 NameServer (memory storage, as pyro4-ns runs by default) and calls list(regex=pattern) for
each pattern, so the answer comes from Pyro4's own naming.py and Python's own re. Writes one JSON
list on stdout, one entry per pattern, in order:

  {"matched": [indexes of the names listed]}
  {"error": "invalid regex: ...", "type": "Pyro4.errors.NamingError"}   (or another class)

Run with the interpreter that has Pyro4: /usr/bin/python3.
"""

import json
import sys
import warnings

import Pyro4.naming

# re warns (FutureWarning, DeprecationWarning) about some of the table's patterns; pyro4-ns would
# print those to its stderr, which is not part of the answer.
warnings.simplefilter("ignore")


def main():
    table = json.load(sys.stdin)
    names = table["names"]
    server = Pyro4.naming.NameServer()
    for index, name in enumerate(names):
        server.register(name, "PYRO:object%d@localhost:9999" % index)
    position = {name: index for index, name in enumerate(names)}
    answers = []
    for pattern in table["patterns"]:
        try:
            listed = server.list(regex=pattern)
        except Exception as error:  # the answer pyro4-ns sends back, whatever its class
            kind = type(error)
            answers.append({"error": str(error), "type": kind.__module__ + "." + kind.__name__})
            continue
        answers.append({"matched": sorted(position[name] for name in listed)})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
