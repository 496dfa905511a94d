"""Modules of tests/golden/capture.py, the kit's own Pyro4 golden-vector recorder."""
