"""Binds a Pyro4 proxy and prints OK, or the error as "ERROR Class: message" (error_causes_test).

    error_causes_client.py URI HMAC_KEY SERIALIZER      (an empty HMAC_KEY is no key)
"""
import sys

import Pyro4
import Pyro4.errors


def main():
    uri, key, serializer = sys.argv[1:4]
    Pyro4.config.SERIALIZER = serializer
    Pyro4.config.COMMTIMEOUT = 10.0  # a wrong answer must not hang the test
    proxy = Pyro4.Proxy(uri)
    if key:
        proxy._pyroHmacKey = key.encode()
    try:
        proxy._pyroBind()
        print("OK")
    except Exception as error:  # the class and text are what the test checks
        print("ERROR %s: %s" % (type(error).__name__, error))
    finally:
        proxy._pyroRelease()


if __name__ == "__main__":
    main()
