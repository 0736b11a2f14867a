"""The blocking client: :class:`Client` and its :class:`Subscription`."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, BinaryIO, cast

import grpc

from wagate._common import (
    UPLOAD_CHUNK_SIZE,
    Backoff,
    api_key_metadata,
    channel_options,
    resume_point,
    resumed,
    start_cursor,
    upload_requests,
)
from wagate.v1 import (
    event_pb2,
    event_service_pb2,
    event_service_pb2_grpc,
    media_service_pb2,
    media_service_pb2_grpc,
    messaging_service_pb2_grpc,
    template_service_pb2_grpc,
)

#: Called before each wait to resubscribe, with the error that broke the
#: stream (``None`` when the gateway ended it) and the delay in seconds.
RetryHook = Callable[[BaseException | None, float], None]


class Client:
    """A connection to a wagate gateway, with a stub for each service.

    ``target`` is ``host:port`` (or any gRPC target). Every call carries
    ``api_key`` as ``authorization: Bearer <key>``. The channel uses TLS with
    the system's roots unless ``credentials`` says otherwise; ``secure=False``
    connects in plaintext, for a local ``wagate sandbox``. ``options`` are
    gRPC channel arguments. The client is thread-safe; close it (or use it as
    a context manager) when done.

    Unless ``options`` say otherwise, the channel waits at most 10 s between
    attempts to reconnect (gRPC's default grows to 2 minutes), so that a
    subscription resumes soon after the gateway is back.
    """

    def __init__(
        self,
        target: str,
        api_key: str,
        *,
        secure: bool = True,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] | None = None,
    ) -> None:
        interceptor = _ApiKeyInterceptor(api_key_metadata(api_key))
        options = channel_options(options)
        if secure:
            creds = credentials or grpc.ssl_channel_credentials()
            channel = grpc.secure_channel(target, creds, options=options)
        else:
            channel = grpc.insecure_channel(target, options=options)
        self._raw_channel = channel
        #: The channel, with the API key added to every call.
        self.channel: grpc.Channel = grpc.intercept_channel(channel, interceptor)
        #: SendMessage, MarkRead, GetConversationWindow.
        self.messaging = messaging_service_pb2_grpc.MessagingServiceStub(self.channel)
        #: UploadMedia, GetMedia, DownloadMedia, DeleteMedia.
        self.media = media_service_pb2_grpc.MediaServiceStub(self.channel)
        #: CreateTemplate, GetTemplate, ListTemplates, UpdateTemplate, DeleteTemplate.
        self.templates = template_service_pb2_grpc.TemplateServiceStub(self.channel)
        #: SubscribeEvents (prefer :meth:`subscribe`, which resumes), AckEvents.
        self.events = event_service_pb2_grpc.EventServiceStub(self.channel)

    def close(self) -> None:
        """Closes the channel; calls and subscriptions in flight end."""
        self._raw_channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def upload_media(
        self,
        metadata: media_service_pb2.UploadMediaMetadata,
        data: bytes | BinaryIO | Iterable[bytes],
        *,
        chunk_size: int = UPLOAD_CHUNK_SIZE,
        timeout: float | None = None,
    ) -> media_service_pb2.UploadMediaResponse:
        """Uploads media through the UploadMedia client stream.

        ``data`` is the bytes, a binary file, or an iterable of byte chunks.
        The returned ``media_id`` can be sent from the same phone number for
        30 days.
        """
        response: media_service_pb2.UploadMediaResponse = self.media.UploadMedia(
            upload_requests(metadata, data, chunk_size), timeout=timeout
        )
        return response

    def subscribe(
        self,
        request: event_service_pb2.SubscribeEventsRequest | None = None,
        *,
        backoff: Backoff = Backoff(),
        max_retries: int = 0,
        on_retry: RetryHook | None = None,
    ) -> Subscription:
        """Starts a resumable subscription; see :class:`Subscription`.

        ``request`` holds the filters and the start position (``None`` means
        every event from now on). Returns once the gateway has accepted the
        stream, so every event after that is delivered, even when starting at
        the newest; while the gateway cannot be reached it retries with
        ``backoff``. Raises ``grpc.RpcError`` for errors that retrying cannot
        fix (UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, …), or
        after ``max_retries`` consecutive failures when that is not 0.
        """
        return Subscription(
            self.events,
            request or event_service_pb2.SubscribeEventsRequest(),
            backoff=backoff,
            max_retries=max_retries,
            on_retry=on_retry,
        )


#: How long to wait for the status of a call that answered with empty initial
#: metadata, in seconds.
_TRAILERS_ONLY_GRACE = 0.05


class _Closed(Exception):
    """The subscription was closed while it waited."""


class Subscription(Iterator[event_pb2.Event]):
    """A resumable event subscription: an iterator of :class:`wagate.v1.Event`.

    It keeps the cursor of the last event it delivered. When the stream breaks
    with UNAVAILABLE (the gateway restarts, the connection drops), ends (the
    gateway shuts down), or fails with RESOURCE_EXHAUSTED / SUBSCRIBER_LAGGED
    (this subscriber fell behind), it subscribes again after that cursor with
    exponential backoff: every event the gateway still retains is delivered
    once, in order. Other errors are raised. Iteration stops once
    :meth:`close` is called, from any thread.

    A subscription that starts at the newest event and breaks before it has
    delivered one has no cursor to resume from, and starts at the newest
    again; start at the oldest retained event or after a saved cursor where
    that gap matters.
    """

    def __init__(
        self,
        stub: event_service_pb2_grpc.EventServiceStub,
        request: event_service_pb2.SubscribeEventsRequest,
        *,
        backoff: Backoff = Backoff(),
        max_retries: int = 0,
        on_retry: RetryHook | None = None,
    ) -> None:
        self._stub = stub
        self._request = resumed(request, "")
        self._backoff = backoff
        self._max_retries = max_retries
        self._on_retry = on_retry
        self._cursor = start_cursor(request)
        self._failures = 0
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._call: Any = None
        self._connect()

    @property
    def cursor(self) -> str:
        """The cursor of the last event delivered (or the start cursor):
        subscribe with it as ``after_cursor`` to go on from there later."""
        return self._cursor

    def close(self) -> None:
        """Ends the subscription; a blocked iteration stops."""
        self._closed.set()
        with self._lock:
            if self._call is not None:
                self._call.cancel()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __iter__(self) -> Subscription:
        return self

    def __next__(self) -> event_pb2.Event:
        try:
            return self._next()
        except _Closed:
            raise StopIteration from None

    def _next(self) -> event_pb2.Event:
        while True:
            if self._closed.is_set():
                raise _Closed
            call = self._call
            if call is None:
                self._connect()
                continue
            error: BaseException | None
            try:
                response = next(call)
            except StopIteration:
                error = None
            except grpc.RpcError as e:
                error = e
            else:
                if not response.HasField("event"):
                    continue
                event: event_pb2.Event = response.event
                if event.cursor and event.cursor == self._cursor:
                    continue
                if event.cursor:
                    self._cursor = event.cursor
                self._failures = 0
                return event
            self._set_call(None)
            self._wait(error)

    def _set_call(self, call: Any) -> None:
        with self._lock:
            if self._call is not None and call is None:
                self._call.cancel()
            self._call = call
        if call is not None and self._closed.is_set():
            call.cancel()
            raise _Closed

    def _connect(self) -> None:
        """Opens a stream, retrying with backoff while that is worth it."""
        while True:
            if self._closed.is_set():
                raise _Closed
            call: Any = self._stub.SubscribeEvents(resumed(self._request, self._cursor))
            self._set_call(call)
            try:
                # The gateway answers with headers once the subscription is
                # registered, or ends the call at once with its status (a
                # trailers-only answer, whose initial metadata is empty and
                # whose status may be handed over an instant later).
                if not call.initial_metadata() and not call.done():
                    ended = threading.Event()
                    call.add_done_callback(lambda _: ended.set())
                    ended.wait(_TRAILERS_ONLY_GRACE)
                if call.done() and call.code() != grpc.StatusCode.OK:
                    raise cast(grpc.RpcError, call)
                return
            except grpc.RpcError as e:
                self._set_call(None)
                self._wait(e)

    def _wait(self, error: BaseException | None) -> None:
        """Waits before resubscribing, or raises what cannot be retried."""
        if self._closed.is_set():
            raise _Closed
        resumable, cursor = resume_point(error)
        if not resumable:
            assert error is not None
            raise error
        if cursor and not self._cursor:
            self._cursor = cursor
        if self._max_retries and self._failures >= self._max_retries:
            if error is not None:
                raise error
            raise ConnectionError("wagate: the gateway keeps ending the subscription")
        delay = self._backoff.delay(self._failures)
        self._failures += 1
        if self._on_retry is not None:
            self._on_retry(error, delay)
        if self._closed.wait(delay):
            raise _Closed


class _CallDetails(
    collections.namedtuple(
        "_CallDetails", ["method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"]
    ),
    grpc.ClientCallDetails,
):
    """The details of an intercepted call."""


class _ApiKeyInterceptor(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[type-arg]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[type-arg]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[type-arg]
    grpc.StreamStreamClientInterceptor,  # type: ignore[type-arg]
):
    """Adds the API key to the metadata of every call."""

    def __init__(self, entry: tuple[str, str]) -> None:
        self._entry = entry

    def _details(self, details: Any) -> _CallDetails:
        metadata = list(details.metadata or [])
        metadata.append(self._entry)
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return continuation(self._details(client_call_details), request_iterator)
