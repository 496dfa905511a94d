"""The environment the Python test drivers give the programs they start.

The Python twin of tests/support/python.hpp: the same Python settings for the same reasons.
"""

import os

# Python programs under test print each line into the pipe at once (the drivers wait for lines
# as they come), leave no __pycache__ in the source tree, and hash in a repeatable order (Pyro4
# sends sets and its metadata lists in set order, which would otherwise change from run to run).
PYTHON_SETTINGS = {
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}


def pyro_environment(**settings):
    """This process's environment without its PYRO_* variables (a developer's own PYRO_NS_HOST
    must not steer a test), with PYTHON_SETTINGS and then `settings` (NAME="value") on top."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYRO_")}
    env.update(PYTHON_SETTINGS)
    env.update(settings)
    return env
