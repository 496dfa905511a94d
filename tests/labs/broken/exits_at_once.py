"""A broken echo server for the proof tests: says it is ready, then exits at once."""
print("Echo server ready.")
