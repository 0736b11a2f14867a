"""Fixtures: one `wagate sandbox` for the whole test session, its emulator's
admin API, and a TCP proxy whose connections a test can cut."""

from __future__ import annotations

import itertools
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import wagate
from wagate import v1

REPO = Path(__file__).resolve().parents[3]
API_KEY = "python-client-test-key"


@dataclass
class Sandbox:
    """A running `wagate sandbox` and its addresses."""

    process: subprocess.Popen[str]
    grpc_addr: str
    admin_url: str

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Calls the emulator's admin API and returns its decoded JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.admin_url + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def inject_inbound(self, sender: str, body: str) -> str:
        """Makes ``sender`` write to the business; returns the message's wamid."""
        answer = self.admin(
            "POST",
            "/inbound",
            {"from": sender, "profile_name": "Ana", "message": {"type": "text", "text": {"body": body}}},
        )
        message_id: str = answer["message_id"]
        return message_id

    def sent_message_ids(self) -> list[str]:
        """The wamids of the messages the emulator accepted."""
        return [entry["message_id"] for entry in self.admin("GET", "/sent")["data"]]


def wagate_binary() -> Path:
    """$WAGATE_BIN, or the debug build of the repository."""
    if env := os.environ.get("WAGATE_BIN"):
        return Path(env)
    binary = REPO / "target" / "debug" / "wagate"
    if not binary.exists():
        pytest.exit(f"{binary} not found: run `cargo build --bin wagate` or set WAGATE_BIN", returncode=1)
    return binary


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """A sandbox on free ports, stopped with SIGTERM at the end of the session."""
    process = subprocess.Popen(
        [
            str(wagate_binary()),
            "sandbox",
            "--grpc-addr", "127.0.0.1:0",
            "--webhook-addr", "127.0.0.1:0",
            "--emulator-addr", "127.0.0.1:0",
            "--api-key", API_KEY,
            "--status-interval-ms", "20",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    grpc_addr = admin_url = ""
    deadline = time.monotonic() + 30
    while not (grpc_addr and admin_url):
        try:
            fields = lines.get(timeout=max(0.0, deadline - time.monotonic())).split()
        except queue.Empty:
            process.kill()
            pytest.exit("the sandbox printed no gRPC and Cloud API addresses within 30 s", returncode=1)
        if fields[:1] == ["gRPC"]:
            grpc_addr = fields[1]
        elif fields[:2] == ["Cloud", "API"]:
            admin_url = fields[2].rstrip("/") + "/_admin"
    yield Sandbox(process, grpc_addr, admin_url)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# Fast reconnection after a cut connection keeps the tests short.
FAST_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 20),
    ("grpc.min_reconnect_backoff_ms", 20),
    ("grpc.max_reconnect_backoff_ms", 200),
]


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[wagate.Client]:
    """A client of the sandbox."""
    with wagate.Client(sandbox.grpc_addr, API_KEY, secure=False, options=FAST_RECONNECT) as c:
        yield c


_contacts = itertools.count(1)


@pytest.fixture
def contact() -> str:
    """A WhatsApp id that no other test uses."""
    return f"1556{os.getpid() % 1000:03d}{next(_contacts):04d}"


def open_window(sandbox: Sandbox, client: wagate.Client, contact: str) -> None:
    """Makes ``contact`` write first, and waits until the gateway knows its
    24 h window is open."""
    sandbox.inject_inbound(contact, "hello")
    deadline = time.monotonic() + 10
    while not client.messaging.GetConversationWindow(v1.GetConversationWindowRequest(contact=contact)).open:
        if time.monotonic() > deadline:
            pytest.fail(f"the window with {contact} did not open after an inbound message")
        time.sleep(0.02)


class EventPump:
    """Reads a subscription on a thread, so that tests can wait with a timeout."""

    def __init__(self, subscription: Iterator[v1.Event]) -> None:
        self._queue: queue.Queue[v1.Event | BaseException | None] = queue.Queue()

        def run() -> None:
            try:
                for event in subscription:
                    self._queue.put(event)
                self._queue.put(None)
            except BaseException as e:  # handed to the test
                self._queue.put(e)

        threading.Thread(target=run, daemon=True).start()

    def next(self, timeout: float = 10) -> v1.Event:
        """The next event; fails the test if none comes in time."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no event within {timeout} s")
        if item is None:
            pytest.fail("the subscription ended")
        if isinstance(item, BaseException):
            raise item
        return item

    def quiet(self, duration: float) -> None:
        """Checks that nothing more arrives for ``duration`` seconds."""
        try:
            item = self._queue.get(timeout=duration)
        except queue.Empty:
            return
        pytest.fail(f"unexpected {item!r}")


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of ``target``. ``cut()`` closes its
    connections; while ``down`` it closes new ones at once."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.addr = "127.0.0.1:%d" % self._listener.getsockname()[1]
        self.down = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                server = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """Closes every open connection."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._listener.close()
        self.cut()


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[Proxy]:
    """A proxy in front of the sandbox's gRPC port."""
    p = Proxy(sandbox.grpc_addr)
    yield p
    p.close()
