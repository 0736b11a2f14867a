"""The asyncio client: :class:`AsyncClient` and its :class:`AsyncSubscription`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, BinaryIO

import grpc
import grpc.aio

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


class AsyncClient:
    """A connection to a wagate gateway for asyncio, with a stub per service.

    The same as :class:`wagate.Client`, with ``grpc.aio`` stubs: calls are
    awaited and server streams are async iterators. Close it (``await
    client.close()``, or ``async with``) when done.
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
        options = channel_options(options)
        interceptors: list[Any] = [
            _ApiKeyUnaryUnary(api_key_metadata(api_key)),
            _ApiKeyUnaryStream(api_key_metadata(api_key)),
            _ApiKeyStreamUnary(api_key_metadata(api_key)),
            _ApiKeyStreamStream(api_key_metadata(api_key)),
        ]
        self.channel: grpc.aio.Channel
        if secure:
            creds = credentials or grpc.ssl_channel_credentials()
            self.channel = grpc.aio.secure_channel(target, creds, options=options, interceptors=interceptors)
        else:
            self.channel = grpc.aio.insecure_channel(target, options=options, interceptors=interceptors)
        #: SendMessage, MarkRead, GetConversationWindow.
        self.messaging = messaging_service_pb2_grpc.MessagingServiceStub(self.channel)
        #: UploadMedia, GetMedia, DownloadMedia, DeleteMedia.
        self.media = media_service_pb2_grpc.MediaServiceStub(self.channel)
        #: CreateTemplate, GetTemplate, ListTemplates, UpdateTemplate, DeleteTemplate.
        self.templates = template_service_pb2_grpc.TemplateServiceStub(self.channel)
        #: SubscribeEvents (prefer :meth:`subscribe`, which resumes), AckEvents.
        self.events = event_service_pb2_grpc.EventServiceStub(self.channel)

    async def close(self) -> None:
        """Closes the channel; calls and subscriptions in flight end."""
        await self.channel.close(grace=None)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def upload_media(
        self,
        metadata: media_service_pb2.UploadMediaMetadata,
        data: bytes | BinaryIO | Iterable[bytes],
        *,
        chunk_size: int = UPLOAD_CHUNK_SIZE,
        timeout: float | None = None,
    ) -> media_service_pb2.UploadMediaResponse:
        """Uploads media through the UploadMedia client stream (see
        :meth:`wagate.Client.upload_media`)."""
        response: media_service_pb2.UploadMediaResponse = await self.media.UploadMedia(
            upload_requests(metadata, data, chunk_size), timeout=timeout
        )
        return response

    async def subscribe(
        self,
        request: event_service_pb2.SubscribeEventsRequest | None = None,
        *,
        backoff: Backoff = Backoff(),
        max_retries: int = 0,
        on_retry: RetryHook | None = None,
    ) -> AsyncSubscription:
        """Starts a resumable subscription; see :class:`AsyncSubscription`
        and :meth:`wagate.Client.subscribe`."""
        subscription = AsyncSubscription(
            self.events,
            request or event_service_pb2.SubscribeEventsRequest(),
            backoff=backoff,
            max_retries=max_retries,
            on_retry=on_retry,
        )
        await subscription._connect()
        return subscription


class _Closed(Exception):
    """The subscription was closed while it waited."""


class AsyncSubscription(AsyncIterator[event_pb2.Event]):
    """A resumable event subscription: an async iterator of
    :class:`wagate.v1.Event`, made by :meth:`AsyncClient.subscribe`.

    It resumes the way :class:`wagate.Subscription` does: after the cursor of
    the last event it delivered, with exponential backoff, when the stream
    breaks with UNAVAILABLE, ends, or fails with SUBSCRIBER_LAGGED; other
    errors are raised. Iteration stops after :meth:`close`, or when the task
    iterating it is cancelled (which raises ``CancelledError`` as usual).
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
        self._stub: Any = stub
        self._request = resumed(request, "")
        self._backoff = backoff
        self._max_retries = max_retries
        self._on_retry = on_retry
        self._cursor = start_cursor(request)
        self._failures = 0
        self._closed = asyncio.Event()
        self._call: Any = None
        self._responses: AsyncIterator[Any] | None = None

    @property
    def cursor(self) -> str:
        """The cursor of the last event delivered (or the start cursor):
        subscribe with it as ``after_cursor`` to go on from there later."""
        return self._cursor

    def close(self) -> None:
        """Ends the subscription; a pending iteration stops."""
        self._closed.set()
        self._drop_call()

    async def __aenter__(self) -> AsyncSubscription:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __aiter__(self) -> AsyncSubscription:
        return self

    async def __anext__(self) -> event_pb2.Event:
        try:
            return await self._next()
        except _Closed:
            raise StopAsyncIteration from None

    async def _next(self) -> event_pb2.Event:
        while True:
            if self._closed.is_set():
                raise _Closed
            if self._responses is None:
                await self._connect()
                continue
            error: BaseException | None
            try:
                response = await self._responses.__anext__()
            except StopAsyncIteration:
                error = None
            except grpc.aio.AioRpcError as e:
                error = e
            except asyncio.CancelledError:
                if self._closed.is_set():
                    raise _Closed from None
                raise
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
            self._drop_call()
            await self._wait(error)

    def _drop_call(self) -> None:
        if self._call is not None:
            self._call.cancel()
        self._call = None
        self._responses = None

    async def _connect(self) -> None:
        """Opens a stream, retrying with backoff while that is worth it."""
        while True:
            if self._closed.is_set():
                raise _Closed
            call = self._stub.SubscribeEvents(resumed(self._request, self._cursor))
            self._call = call
            try:
                # The gateway answers with headers once the subscription is
                # registered, or ends the call at once with its status.
                await call.initial_metadata()
                if call.done():
                    code = await call.code()
                    if code != grpc.StatusCode.OK:
                        details = await call.details()
                        raise grpc.aio.AioRpcError(
                            code,
                            await call.initial_metadata(),
                            await call.trailing_metadata(),
                            details,
                            await call.debug_error_string(),
                        )
                self._responses = call.__aiter__()
                return
            except grpc.aio.AioRpcError as e:
                self._drop_call()
                await self._wait(e)

    async def _wait(self, error: BaseException | None) -> None:
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
        try:
            await asyncio.wait_for(self._closed.wait(), delay)
        except TimeoutError:
            return
        raise _Closed


def _with_key(details: grpc.aio.ClientCallDetails, entry: tuple[str, str]) -> grpc.aio.ClientCallDetails:
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    metadata.add(*entry)
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


class _ApiKeyUnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[type-arg]
    def __init__(self, entry: tuple[str, str]) -> None:
        self._entry = entry

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(_with_key(client_call_details, self._entry), request)


class _ApiKeyUnaryStream(grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[type-arg]
    def __init__(self, entry: tuple[str, str]) -> None:
        self._entry = entry

    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(_with_key(client_call_details, self._entry), request)


class _ApiKeyStreamUnary(grpc.aio.StreamUnaryClientInterceptor):  # type: ignore[type-arg]
    def __init__(self, entry: tuple[str, str]) -> None:
        self._entry = entry

    async def intercept_stream_unary(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return await continuation(_with_key(client_call_details, self._entry), request_iterator)


class _ApiKeyStreamStream(grpc.aio.StreamStreamClientInterceptor):  # type: ignore[type-arg]
    def __init__(self, entry: tuple[str, str]) -> None:
        self._entry = entry

    async def intercept_stream_stream(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return await continuation(_with_key(client_call_details, self._entry), request_iterator)
