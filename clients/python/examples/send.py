"""Sends a WhatsApp template message through a wagate gateway and prints every
event that follows (its sent, delivered and read statuses, inbound messages),
resuming the stream if it breaks. Stop it with Ctrl-C.

With `wagate sandbox` running::

    python examples/send.py --addr localhost:50051 --insecure --to +14155550123
"""

from __future__ import annotations

import argparse
import os
import sys

import grpc
from google.protobuf import json_format

import wagate
from wagate import v1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--addr", default="localhost:50051", help="the gateway's gRPC address")
    parser.add_argument("--key", default=os.environ.get("WAGATE_API_KEY", "sandbox-api-key"), help="the API key")
    parser.add_argument("--insecure", action="store_true", help="connect without TLS (the sandbox)")
    parser.add_argument("--to", default="+14155550123", help="the recipient, in E.164 form")
    args = parser.parse_args()

    with wagate.Client(args.addr, args.key, secure=not args.insecure) as client:
        # Subscribe first: every event after subscribe() returns is delivered.
        with client.subscribe() as events:
            try:
                sent = client.messaging.SendMessage(
                    v1.SendMessageRequest(
                        to=args.to,
                        content=v1.MessageContent(
                            template=v1.TemplateMessage(name="hello_world", language_code="en_US")
                        ),
                    )
                )
            except grpc.RpcError as error:
                info = wagate.error_info(error)
                reason = f" (reason {info.reason})" if info else ""
                print(f"send failed: {error}{reason}", file=sys.stderr)
                return 1
            print("sent", sent.message_id)
            try:
                for event in events:
                    print(json_format.MessageToJson(event))
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
