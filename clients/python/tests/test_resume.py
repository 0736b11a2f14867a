"""The resumption rules, against a scripted EventService (no sandbox)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

import wagate
from wagate import v1

FAST = wagate.Backoff(initial=0.001, maximum=0.005)


class ScriptedEvents(v1.event_service_pb2_grpc.EventServiceServicer):  # type: ignore[misc]
    """Call i sends at most ``batches[i]`` of the events after the requested
    cursor (all once ``batches`` runs out), then ends with ``failures[i]``
    (or stays open when that is None or missing)."""

    def __init__(self, log: list[str], batches: list[int], failures: list[tuple[grpc.StatusCode, str, str] | None]):
        self.log, self.batches, self.failures = log, batches, failures
        self.starts: list[str] = []
        self._lock = threading.Lock()

    def SubscribeEvents(
        self, request: v1.SubscribeEventsRequest, context: grpc.ServicerContext
    ) -> Iterator[v1.SubscribeEventsResponse]:
        with self._lock:
            self.starts.append(request.after_cursor)
            batch = self.batches.pop(0) if self.batches else len(self.log)
            failure = self.failures.pop(0) if self.failures else None
        start = self.log.index(request.after_cursor) + 1 if request.after_cursor else 0
        if failure is None:
            context.send_initial_metadata(())
        for cursor in self.log[start : start + batch]:
            yield v1.SubscribeEventsResponse(event=v1.Event(id="ev-" + cursor, cursor=cursor))
        if failure is not None:
            code, message, last_cursor = failure
            if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
                info = error_details_pb2.ErrorInfo(
                    reason=wagate.REASON_SUBSCRIBER_LAGGED, domain="wagate", metadata={"last_cursor": last_cursor}
                )
                detail = any_pb2.Any()
                detail.Pack(info)
                status = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message=message, details=[detail])
                context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
            context.abort(code, message)
        ended = threading.Event()
        context.add_callback(ended.set)  # the client cancelled, or the server stops
        ended.wait(timeout=30)


def lagged(last_cursor: str) -> tuple[grpc.StatusCode, str, str]:
    return (grpc.StatusCode.RESOURCE_EXHAUSTED, "lagged", last_cursor)


UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, "restarting", "")


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[grpc.Server] = []

    def start(servicer: ScriptedEvents) -> str:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        v1.event_service_pb2_grpc.add_EventServiceServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return f"127.0.0.1:{port}"

    yield start
    for server in servers:
        server.stop(grace=None)


def test_resumes_after_lag_and_unavailable(serve: object) -> None:
    scripted = ScriptedEvents(["c1", "c2", "c3", "c4", "c5", "c6"], [2, 2, 2], [lagged("c2"), UNAVAILABLE, None])
    with wagate.Client(serve(scripted), "k", secure=False) as client:  # type: ignore[operator]
        with client.subscribe(backoff=FAST) as subscription:
            got = [next(subscription).cursor for _ in range(6)]
    assert got == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert scripted.starts == ["", "c2", "c4"]


def test_lag_before_any_event_resumes_from_the_gateways_cursor(serve: object) -> None:
    scripted = ScriptedEvents(["c1", "c2", "c3"], [0], [lagged("c1")])
    with wagate.Client(serve(scripted), "k", secure=False) as client:  # type: ignore[operator]
        with client.subscribe(backoff=FAST) as subscription:
            assert next(subscription).cursor == "c2"


def test_errors_that_retrying_cannot_fix_are_raised(serve: object) -> None:
    denied = (grpc.StatusCode.PERMISSION_DENIED, "no", "")
    scripted = ScriptedEvents(["c1"], [0, 1], [denied, denied])
    with wagate.Client(serve(scripted), "k", secure=False) as client:  # type: ignore[operator]
        with pytest.raises(grpc.RpcError) as raised:
            client.subscribe(backoff=FAST)
        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
        with client.subscribe(backoff=FAST) as subscription:
            assert next(subscription).cursor == "c1"
            with pytest.raises(grpc.RpcError) as raised:
                next(subscription)
            assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]


def test_async_subscription_resumes_the_same_way(serve: object) -> None:
    scripted = ScriptedEvents(["c1", "c2", "c3", "c4"], [0, 2], [lagged(""), UNAVAILABLE])

    async def scenario() -> list[str]:
        async with wagate.AsyncClient(serve(scripted), "k", secure=False) as client:  # type: ignore[operator]
            subscription = await client.subscribe(
                v1.SubscribeEventsRequest(position=v1.StartPosition.START_POSITION_OLDEST), backoff=FAST
            )
            async with subscription:
                return [(await subscription.__anext__()).cursor for _ in range(4)]

    assert asyncio.run(scenario()) == ["c1", "c2", "c3", "c4"]
    assert scripted.starts == ["", "", "c2"]


def test_backoff_grows_to_its_cap() -> None:
    backoff = wagate.Backoff(initial=0.1, maximum=1.0, multiplier=2, jitter=0)
    assert [backoff.delay(i) for i in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    jittered = wagate.Backoff(initial=0.1, maximum=1.0, jitter=0.5)
    assert all(0.05 <= jittered.delay(i % 6) <= 1.5 for i in range(50))
