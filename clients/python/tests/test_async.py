"""The asyncio client against the sandbox (see conftest.py)."""

from __future__ import annotations

import asyncio

import grpc
import pytest

import wagate
from conftest import API_KEY, FAST_RECONNECT, Proxy, Sandbox
from wagate import v1

STATUSES = [
    v1.MessageStatus.MESSAGE_STATUS_SENT,
    v1.MessageStatus.MESSAGE_STATUS_DELIVERED,
    v1.MessageStatus.MESSAGE_STATUS_READ,
]


def template() -> v1.MessageContent:
    return v1.MessageContent(template=v1.TemplateMessage(name="hello_world", language_code="en_US"))


async def statuses(subscription: wagate.AsyncSubscription, message_id: str) -> list[v1.Event]:
    got = []
    for want in STATUSES:
        event = await asyncio.wait_for(subscription.__anext__(), 10)
        assert (event.status.message_id, event.status.status) == (message_id, want)
        got.append(event)
    return got


def test_async_subscription_resumes_after_the_connection_is_cut(
    sandbox: Sandbox, proxy: Proxy, contact: str
) -> None:
    async def scenario() -> None:
        retries: list[BaseException | None] = []
        async with (
            wagate.AsyncClient(sandbox.grpc_addr, API_KEY, secure=False) as direct,
            wagate.AsyncClient(proxy.addr, API_KEY, secure=False, options=FAST_RECONNECT) as via_proxy,
        ):
            subscription = await via_proxy.subscribe(
                v1.SubscribeEventsRequest(contacts=[contact], position=v1.StartPosition.START_POSITION_OLDEST),
                backoff=wagate.Backoff(initial=0.02, maximum=0.2),
                on_retry=lambda error, delay: retries.append(error),
            )
            async with subscription:
                first = await direct.messaging.SendMessage(v1.SendMessageRequest(to="+" + contact, content=template()))
                before = await statuses(subscription, first.message_id)

                proxy.down = True
                proxy.cut()
                second = await direct.messaging.SendMessage(v1.SendMessageRequest(to="+" + contact, content=template()))
                log = direct.events.SubscribeEvents(
                    v1.SubscribeEventsRequest(contacts=[contact], after_cursor=before[-1].cursor)
                )
                for _ in range(3):  # the statuses are in the gateway's log
                    await asyncio.wait_for(log.read(), 10)
                log.cancel()
                proxy.down = False

                after = await statuses(subscription, second.message_id)
                with pytest.raises(asyncio.TimeoutError):
                    extra = await asyncio.wait_for(subscription.__anext__(), 0.3)
                    pytest.fail(f"unexpected {extra}")
        assert retries, "the subscription never had to reconnect"
        cursors = [event.cursor for event in before + after]
        assert len(set(cursors)) == len(cursors)

    asyncio.run(scenario())


def test_async_errors_carry_error_info(sandbox: Sandbox, contact: str) -> None:
    async def scenario() -> None:
        async with wagate.AsyncClient(sandbox.grpc_addr, API_KEY, secure=False) as client:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await client.messaging.SendMessage(
                    v1.SendMessageRequest(to="+" + contact, content=v1.MessageContent(text=v1.Text(body="hi?")))
                )
            assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            info = wagate.error_info(raised.value)
            assert info is not None and info.reason == wagate.REASON_WINDOW_CLOSED
        async with wagate.AsyncClient(sandbox.grpc_addr, "not-the-key", secure=False) as intruder:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await intruder.subscribe()
            assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED

    asyncio.run(scenario())
