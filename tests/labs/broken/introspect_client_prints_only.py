"""A broken introspect client: prints the five lines the real one prints, but calls nothing."""
print("greet('World') -> Hello, World!")
print("add(2, 3) -> 5")
print("Remote methods: add, greet")
print("Oneway methods: (none)")
print("Attributes: (none)")
