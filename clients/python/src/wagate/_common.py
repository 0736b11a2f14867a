"""What the blocking and the asyncio clients share."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import grpc
from google.rpc import error_details_pb2, status_pb2

from wagate.v1 import event_service_pb2, media_service_pb2

#: Reason of the ``ErrorInfo`` of a free-form message to a contact whose 24 h
#: customer-service window is closed (Cloud API error 131047).
REASON_WINDOW_CLOSED = "WHATSAPP_131047"
#: Reason of the ``ErrorInfo`` that cuts off a subscriber that fell too far
#: behind; its metadata ``last_cursor`` says where to resume.
REASON_SUBSCRIBER_LAGGED = "SUBSCRIBER_LAGGED"
#: The size of the chunks :meth:`Client.upload_media` sends.
UPLOAD_CHUNK_SIZE = 64 * 1024

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class Backoff:
    """Delays between attempts to resubscribe, in seconds.

    ``initial`` after the first failure, multiplied by ``multiplier`` after
    each further one up to ``maximum``, each randomised by ``±jitter`` (a
    fraction). It starts again at ``initial`` once an event arrives.
    """

    initial: float = 0.1
    maximum: float = 10.0
    multiplier: float = 2.0
    jitter: float = 0.2

    def delay(self, attempt: int) -> float:
        """The delay before retry number ``attempt`` (0-based)."""
        delay = self.initial
        for _ in range(attempt):
            if delay >= self.maximum:
                break
            delay *= self.multiplier
        delay = min(delay, self.maximum)
        if self.jitter:
            delay *= 1 + self.jitter * (2 * random.random() - 1)
        return delay


def error_info(error: BaseException) -> error_details_pb2.ErrorInfo | None:
    """The ``google.rpc.ErrorInfo`` in the status details of a gRPC error.

    Works for the errors of both :class:`Client` (``grpc.RpcError``) and
    :class:`AsyncClient` (``grpc.aio.AioRpcError``); returns ``None`` when the
    error carries none. Cloud API errors have the reason ``WHATSAPP_<code>``
    and the metadata ``code``, ``subcode``, ``details`` and ``fbtrace_id``.
    """
    trailing = getattr(error, "trailing_metadata", None)
    if trailing is None:
        return None
    metadata = trailing()
    if not metadata:
        return None
    for key, value in metadata:
        if key != _STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                return info
    return None


def resume_point(error: BaseException | None) -> tuple[bool, str]:
    """Whether a subscription that broke with ``error`` can go on, and the
    cursor the gateway said to resume after (empty when it said none).

    ``None`` stands for a stream the gateway ended (it is shutting down).
    """
    if error is None:
        return True, ""
    get_code = getattr(error, "code", None)
    code = get_code() if callable(get_code) else None
    if code == grpc.StatusCode.UNAVAILABLE:
        return True, ""
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        info = error_info(error)
        if info is not None and info.reason == REASON_SUBSCRIBER_LAGGED:
            return True, info.metadata.get("last_cursor", "")
    return False, ""


def start_cursor(request: event_service_pb2.SubscribeEventsRequest) -> str:
    """The cursor a request starts after, if it names one."""
    if request.WhichOneof("start") == "after_cursor":
        return request.after_cursor
    return ""


def resumed(request: event_service_pb2.SubscribeEventsRequest, cursor: str) -> event_service_pb2.SubscribeEventsRequest:
    """A copy of ``request`` that starts after ``cursor`` (if any)."""
    copy = event_service_pb2.SubscribeEventsRequest()
    copy.CopyFrom(request)
    if cursor:
        copy.after_cursor = cursor
    return copy


def channel_options(options: Sequence[tuple[str, Any]] | None) -> list[tuple[str, Any]]:
    """The channel arguments: the caller's, and a 10 s cap on the delay between
    reconnection attempts unless the caller sets one."""
    chosen = list(options or [])
    if not any(name == "grpc.max_reconnect_backoff_ms" for name, _ in chosen):
        chosen.append(("grpc.max_reconnect_backoff_ms", 10_000))
    return chosen


def api_key_metadata(api_key: str) -> tuple[str, str]:
    """The metadata entry that authenticates a call."""
    if not api_key:
        raise ValueError("wagate: an API key is required")
    return ("authorization", f"Bearer {api_key}")


def upload_requests(
    metadata: media_service_pb2.UploadMediaMetadata,
    data: bytes | BinaryIO | Iterable[bytes],
    chunk_size: int = UPLOAD_CHUNK_SIZE,
) -> Iterator[media_service_pb2.UploadMediaRequest]:
    """The UploadMedia stream: the metadata, then the bytes in chunks."""
    yield media_service_pb2.UploadMediaRequest(metadata=metadata)
    for chunk in _chunks(data, chunk_size):
        yield media_service_pb2.UploadMediaRequest(chunk=chunk)


def _chunks(data: bytes | BinaryIO | Iterable[bytes], size: int) -> Iterator[bytes]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data)
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])
    elif hasattr(data, "read"):
        while chunk := data.read(size):
            yield chunk
    else:
        for chunk in data:
            for start in range(0, len(chunk), size):
                yield chunk[start : start + size]
