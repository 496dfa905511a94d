"""A recording relay: one thread, one selector, every relayed port.

Each TCP connection to a relay port is forwarded to its server port; each direction is cut into
Pyro frames as bytes arrive, and a frame is recorded when its last byte has been read. UDP
datagrams (the broadcast request and its answer) are forwarded the same way. Because one thread
handles every socket, the recording order is the order in which bytes reached the relay, and
connection numbers follow accept order.
"""

import selectors
import socket
import threading
import time

from . import wire

HOST = "127.0.0.1"


class _Direction:
    def __init__(self, source, sink, label):
        self.source = source
        self.sink = sink
        self.label = label
        self.buffer = b""
        self.done = False


class _Tcp:
    def __init__(self, relay, number, client, upstream):
        self.relay = relay
        self.number = number
        self.sockets = (client, upstream)
        self.directions = (
            _Direction(client, upstream, "client->server"),
            _Direction(upstream, client, "server->client"),
        )

    def finished(self):
        return all(d.done for d in self.directions)


class Recorder:
    def __init__(self):
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._frames = []
        self._connections = 0
        self._open = set()  # live TCP connections and pending UDP exchanges
        self._last_event = time.monotonic()
        self._stop = False
        self._listeners = []
        self._wakeup_r, self._wakeup_w = socket.socketpair()
        self._selector.register(self._wakeup_r, selectors.EVENT_READ, ("wakeup",))
        self._thread = None

    # -- set-up -----------------------------------------------------------------------------
    def add_tcp(self, name, listen_port, target_port):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, listen_port))
        sock.listen(64)
        sock.setblocking(False)
        self._listeners.append(sock)
        self._selector.register(sock, selectors.EVENT_READ, ("accept", name, target_port))

    def add_udp(self, name, listen_port, target_port):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((HOST, listen_port))
        sock.setblocking(False)
        self._listeners.append(sock)
        self._selector.register(sock, selectors.EVENT_READ, ("datagram", name, target_port))

    def start(self):
        self._thread = threading.Thread(target=self._loop, name="relay", daemon=True)
        self._thread.start()

    def close(self):
        self._stop = True
        try:
            self._wakeup_w.send(b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(5)
        for key in list(self._selector.get_map().values()):
            try:
                key.fileobj.close()
            except OSError:
                pass
        self._selector.close()
        self._wakeup_w.close()

    # -- what the scenarios use -----------------------------------------------------------
    def reset(self):
        with self._lock:
            self._frames = []
            self._connections = 0

    def frames(self):
        with self._lock:
            return list(self._frames)

    def wait_quiet(self, timeout=3.0, settle=0.05):
        """Wait until every relayed connection is closed and nothing moved for `settle` s.

        Returns the names of connections still open when `timeout` ran out (normally none).
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                still_open = sorted(self._open)
                idle = time.monotonic() - self._last_event
            if not still_open and idle >= settle:
                return []
            if time.monotonic() > deadline:
                return still_open
            time.sleep(0.01)

    # -- the loop ---------------------------------------------------------------------------
    def _record(self, relay, number, direction, data, transport="tcp"):
        with self._lock:
            self._frames.append(
                {
                    "relay": relay,
                    "transport": transport,
                    "connection": number,
                    "direction": direction,
                    "bytes": bytes(data),
                }
            )
            self._last_event = time.monotonic()

    def _new_number(self):
        with self._lock:
            self._connections += 1
            self._last_event = time.monotonic()
            return self._connections

    def _loop(self):
        while not self._stop:
            for key, _mask in self._selector.select(timeout=0.5):
                kind = key.data[0]
                try:
                    if kind == "accept":
                        self._accept(key.fileobj, key.data[1], key.data[2])
                    elif kind == "tcp":
                        self._pump(key.data[1], key.data[2])
                    elif kind == "datagram":
                        self._datagram(key.fileobj, key.data[1], key.data[2])
                    elif kind == "reply":
                        self._reply(key.fileobj, *key.data[1:])
                except OSError:
                    pass

    def _accept(self, listener, name, target_port):
        try:
            client, _ = listener.accept()
        except BlockingIOError:
            return
        client.setblocking(True)
        try:
            upstream = socket.create_connection((HOST, target_port), timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        number = self._new_number()
        conn = _Tcp(name, number, client, upstream)
        with self._lock:
            self._open.add("%s#%d" % (name, number))
        for direction in conn.directions:
            self._selector.register(direction.source, selectors.EVENT_READ, ("tcp", conn, direction))

    def _pump(self, conn, direction):
        try:
            data = direction.source.recv(65536)
        except OSError:
            data = b""
        if data:
            direction.buffer += data
            while True:
                size = wire.frame_length(direction.buffer)
                if size is None or size > len(direction.buffer):
                    break
                if size < 0:  # not Pyro: keep everything as one chunk
                    break
                self._record(conn.relay, conn.number, direction.label, direction.buffer[:size])
                direction.buffer = direction.buffer[size:]
            try:
                direction.sink.sendall(data)
            except OSError:
                pass
            return
        # end of this direction
        if direction.buffer:
            self._record(conn.relay, conn.number, direction.label, direction.buffer)
            direction.buffer = b""
        direction.done = True
        self._selector.unregister(direction.source)
        try:
            direction.sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if conn.finished():
            for sock in conn.sockets:
                sock.close()
            with self._lock:
                self._open.discard("%s#%d" % (conn.relay, conn.number))
                self._last_event = time.monotonic()

    def _datagram(self, listener, name, target_port):
        try:
            data, sender = listener.recvfrom(4096)
        except BlockingIOError:
            return
        number = self._new_number()
        self._record(name, number, "client->server", data, "udp")
        forward = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        forward.setblocking(False)
        forward.sendto(data, (HOST, target_port))
        tag = "%s#%d" % (name, number)
        with self._lock:
            self._open.add(tag)
        self._selector.register(
            forward, selectors.EVENT_READ, ("reply", listener, sender, name, number, tag)
        )

    def _reply(self, forward, listener, sender, name, number, tag):
        try:
            data, _ = forward.recvfrom(4096)
        except BlockingIOError:
            return
        self._record(name, number, "server->client", data, "udp")
        listener.sendto(data, sender)
        self._selector.unregister(forward)
        forward.close()
        with self._lock:
            self._open.discard(tag)
