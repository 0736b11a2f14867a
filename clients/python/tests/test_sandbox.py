"""The client against a real `wagate sandbox` (see conftest.py)."""

from __future__ import annotations

import hashlib
import random
import struct
import threading
import time
import zlib

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

import wagate
from conftest import API_KEY, FAST_RECONNECT, EventPump, Proxy, Sandbox, open_window
from wagate import v1

STATUSES = [
    v1.MessageStatus.MESSAGE_STATUS_SENT,
    v1.MessageStatus.MESSAGE_STATUS_DELIVERED,
    v1.MessageStatus.MESSAGE_STATUS_READ,
]


def template() -> v1.MessageContent:
    return v1.MessageContent(template=v1.TemplateMessage(name="hello_world", language_code="en_US"))


def expect_statuses(events: EventPump, message_id: str) -> list[v1.Event]:
    """Reads the sent, delivered and read statuses of ``message_id``, in order."""
    got = []
    for want in STATUSES:
        event = events.next()
        assert event.WhichOneof("kind") == "status", event
        assert (event.status.message_id, event.status.status) == (message_id, want)
        assert event.cursor
        got.append(event)
    return got


def from_oldest(contact: str, *kinds: v1.EventKind.ValueType) -> v1.SubscribeEventsRequest:
    return v1.SubscribeEventsRequest(contacts=[contact], kinds=kinds, position=v1.StartPosition.START_POSITION_OLDEST)


def test_send_text_and_template(sandbox: Sandbox, client: wagate.Client, contact: str) -> None:
    sent_template = client.messaging.SendMessage(v1.SendMessageRequest(to="+" + contact, content=template()))
    assert sent_template.message_id.startswith("wamid.")
    assert sent_template.wa_id == contact

    open_window(sandbox, client, contact)
    sent_text = client.messaging.SendMessage(
        v1.SendMessageRequest(to="+" + contact, content=v1.MessageContent(text=v1.Text(body="Your order has shipped.")))
    )
    assert sent_text.message_id.startswith("wamid.")
    assert sent_text.message_id != sent_template.message_id
    received = sandbox.sent_message_ids()
    assert sent_template.message_id in received
    assert sent_text.message_id in received


def png(width: int, height: int) -> bytes:
    """A noisy RGB PNG, which compresses badly, so it spans several chunks."""
    rng = random.Random(7)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_upload_image_and_send_it(sandbox: Sandbox, client: wagate.Client, contact: str) -> None:
    data = png(160, 160)
    assert len(data) > wagate.UPLOAD_CHUNK_SIZE
    uploaded = client.upload_media(v1.UploadMediaMetadata(mime_type="image/png", filename="noise.png"), data)
    assert uploaded.media_id
    assert uploaded.size_bytes == len(data)
    assert uploaded.sha256 == hashlib.sha256(data).hexdigest()

    open_window(sandbox, client, contact)
    sent = client.messaging.SendMessage(
        v1.SendMessageRequest(
            to=contact,
            content=v1.MessageContent(image=v1.Image(media=v1.MediaSource(id=uploaded.media_id), caption="noise")),
        )
    )
    assert sent.message_id in sandbox.sent_message_ids()


def test_status_events_arrive_in_order(client: wagate.Client, contact: str) -> None:
    with client.subscribe(from_oldest(contact, v1.EventKind.EVENT_KIND_STATUS)) as subscription:
        events = EventPump(subscription)
        sent = client.messaging.SendMessage(v1.SendMessageRequest(to="+" + contact, content=template()))
        got = expect_statuses(events, sent.message_id)
        assert got[0].status.recipient_id == contact
        assert subscription.cursor == got[-1].cursor


def test_inbound_message_is_typed(sandbox: Sandbox, client: wagate.Client, contact: str) -> None:
    with client.subscribe(from_oldest(contact, v1.EventKind.EVENT_KIND_MESSAGE)) as subscription:
        events = EventPump(subscription)
        message_id = sandbox.inject_inbound(contact, "Is my order on its way?")
        event = events.next()
    assert event.WhichOneof("kind") == "message"
    message = event.message
    assert message.message_id == message_id
    assert message.profile_name == "Ana"
    assert getattr(message, "from") == contact  # `from` is a Python keyword
    assert message.WhichOneof("content") == "text"
    assert message.text.body == "Is my order on its way?"
    assert event.phone_number_id and event.raw_json


def test_free_form_outside_the_window_fails_with_error_info(client: wagate.Client, contact: str) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        client.messaging.SendMessage(
            v1.SendMessageRequest(to="+" + contact, content=v1.MessageContent(text=v1.Text(body="hello?")))
        )
    error = raised.value
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION  # type: ignore[attr-defined]
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    infos = []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            infos.append(info)
    assert [info.reason for info in infos] == ["WHATSAPP_131047"]
    helper = wagate.error_info(error)
    assert helper is not None and helper.reason == wagate.REASON_WINDOW_CLOSED


def test_wrong_api_key_is_unauthenticated(sandbox: Sandbox, contact: str) -> None:
    with wagate.Client(sandbox.grpc_addr, "not-the-key", secure=False) as intruder:
        with pytest.raises(grpc.RpcError) as raised:
            intruder.messaging.SendMessage(v1.SendMessageRequest(to="+" + contact, content=template()))
        assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
        with pytest.raises(grpc.RpcError) as raised:
            intruder.subscribe()
        assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]


def wait_for_events(client: wagate.Client, contact: str, after: str, count: int) -> None:
    """Waits until ``count`` events about ``contact`` follow ``after`` in the
    gateway's log, read with a plain (non-resuming) stream."""
    stream = client.events.SubscribeEvents(
        v1.SubscribeEventsRequest(contacts=[contact], after_cursor=after), timeout=10
    )
    for _ in range(count):
        next(stream)
    stream.cancel()


def test_subscription_resumes_after_the_connection_is_cut(
    client: wagate.Client, proxy: Proxy, contact: str
) -> None:
    retries: list[BaseException | None] = []
    with wagate.Client(proxy.addr, API_KEY, secure=False, options=FAST_RECONNECT) as via_proxy:
        subscription = via_proxy.subscribe(
            from_oldest(contact),
            backoff=wagate.Backoff(initial=0.02, maximum=0.2),
            on_retry=lambda error, delay: retries.append(error),
        )
        with subscription:
            events = EventPump(subscription)
            first = client.messaging.SendMessage(v1.SendMessageRequest(to="+" + contact, content=template()))
            before = expect_statuses(events, first.message_id)

            # Cut the stream and keep the gateway unreachable while a second
            # message is sent and its statuses are published.
            proxy.down = True
            proxy.cut()
            second = client.messaging.SendMessage(v1.SendMessageRequest(to="+" + contact, content=template()))
            wait_for_events(client, contact, before[-1].cursor, 3)
            proxy.down = False

            after = expect_statuses(events, second.message_id)
            events.quiet(0.3)
    assert retries, "the subscription never had to reconnect: the cut did not happen"
    cursors = [event.cursor for event in before + after]
    assert len(set(cursors)) == len(cursors)


def test_close_stops_a_blocked_iteration(client: wagate.Client, contact: str) -> None:
    subscription = client.subscribe(from_oldest(contact))
    stopped = threading.Event()

    def consume() -> None:
        for _ in subscription:
            pass
        stopped.set()

    threading.Thread(target=consume, daemon=True).start()
    time.sleep(0.05)
    subscription.close()
    assert stopped.wait(5), "iteration did not stop after close()"
