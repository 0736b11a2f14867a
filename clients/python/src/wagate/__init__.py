"""Python client of wagate, the gRPC gateway over the WhatsApp Business Cloud API.

The generated code of the contract is :mod:`wagate.v1` (messages, enums and
service stubs, with type stubs). This package adds:

- :class:`Client` (blocking) and :class:`AsyncClient` (asyncio): a channel with
  TLS, or plaintext for a local sandbox, that sends the API key as
  ``authorization: Bearer <key>`` on every call, with a stub per service;
- :meth:`Client.subscribe` / :meth:`AsyncClient.subscribe`: a resumable event
  subscription, an iterator (or async iterator) that remembers the cursor of
  the last event it delivered and, when the stream breaks, subscribes again
  after it with exponential backoff;
- :meth:`Client.upload_media`: the UploadMedia client stream from bytes or a file;
- :func:`error_info`: the ``google.rpc.ErrorInfo`` the gateway attaches to errors.
"""

from wagate._common import (
    REASON_SUBSCRIBER_LAGGED,
    REASON_WINDOW_CLOSED,
    UPLOAD_CHUNK_SIZE,
    Backoff,
    error_info,
)
from wagate.aio import AsyncClient, AsyncSubscription
from wagate.client import Client, Subscription

__all__ = [
    "REASON_SUBSCRIBER_LAGGED",
    "REASON_WINDOW_CLOSED",
    "UPLOAD_CHUNK_SIZE",
    "AsyncClient",
    "AsyncSubscription",
    "Backoff",
    "Client",
    "Subscription",
    "error_info",
]
