"""Python websockets as an echo SERVER speaking the interop echo protocol.

See interop/doc.go for the protocol. The server listens on 127.0.0.1,
prints the port it got as the first line of stdout, then one JSON line per
finished connection:

    {"event": "close", "path": "/main", "code": 4001, "reason": "bye-from-client",
     "extensions": "...", "agreed": {...}}

with the close code and reason of the client's close frame (1005 for none,
1006 if the connection ended without one), the Sec-WebSocket-Extensions the
server answered and the permessage-deflate terms websockets applied (null
for none), and {"event": "error", "path": ..., "error": ...} for anything
that went wrong.

Usage: /usr/bin/python3 echo_server.py [PORT [VARIANTS]]   (PORT 0 or nothing: any free port)

Without VARIANTS the server has websockets's default compression="deflate".
VARIANTS, JSON, maps names to the keyword arguments of
ServerPerMessageDeflateFactory (null: websockets's default factory); a
connection to /NAME/... then negotiates with that factory alone.

Written for Debian's python3-websockets (10.x, the legacy asyncio API);
it also runs on later versions.
"""

import asyncio
import json
import sys

import websockets
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
    enable_server_permessage_deflate,
)

PING_TIMEOUT = 10.0


def report(**fields):
    print(json.dumps(fields), flush=True)


def thirds(s):
    """Splits s into three parts at character boundaries."""
    a, b = len(s) // 3, 2 * len(s) // 3
    return [s[:a], s[a:b], s[b:]]


def request_path(ws, args):
    if args and isinstance(args[0], str):
        return args[0]  # websockets 10: handler(ws, path)
    path = getattr(ws, "path", None)
    if path is None:
        path = ws.request.path  # websockets 14 and later
    return path


# The permessage-deflate factories of each variant, by name.
VARIANTS = {}


class VariantProtocol(websockets.WebSocketServerProtocol):
    """Negotiates permessage-deflate on /NAME/... with the factory of the
    variant NAME (websockets lets a server override process_extensions)."""

    def process_extensions(self, headers, available_extensions):
        name = self.path.split("/")[1]
        if name in VARIANTS:
            available_extensions = VARIANTS[name]
        return super().process_extensions(headers, available_extensions)


def negotiated(ws):
    """Returns what the server connection ws negotiated: the
    Sec-WebSocket-Extensions it answered and the terms it applies."""
    agreed = None
    extensions = getattr(ws, "extensions", None)
    if extensions is None:
        extensions = ws.protocol.extensions  # websockets 14 and later
    for ext in extensions:
        if isinstance(ext, PerMessageDeflate):
            agreed = {
                "server_no_context_takeover": ext.local_no_context_takeover,
                "client_no_context_takeover": ext.remote_no_context_takeover,
                "server_max_window_bits": ext.local_max_window_bits,
                "client_max_window_bits": ext.remote_max_window_bits,
            }
    headers = getattr(ws, "response_headers", None)
    if headers is None:
        headers = ws.response.headers  # websockets 14 and later
    return {"extensions": ", ".join(headers.get_all("Sec-WebSocket-Extensions")), "agreed": agreed}


async def handle(ws, *args):
    path = request_path(ws, args)
    terms = negotiated(ws)
    try:
        async for msg in ws:
            if isinstance(msg, str):
                if msg.startswith("close:"):
                    _, code, reason = msg.split(":", 2)
                    await ws.close(int(code), reason)
                    break
                if msg.startswith("ping-me:"):
                    text = msg[len("ping-me:"):]
                    try:
                        waiter = await ws.ping(text.encode())
                        await asyncio.wait_for(waiter, PING_TIMEOUT)
                    except asyncio.TimeoutError:
                        report(event="error", path=path, error=f"no pong for ping {text!r}")
                        await ws.send("pong-missing:" + text)
                        continue
                    await ws.send("pong-received:" + text)
                    continue
                if msg.startswith("fragment-me:"):
                    await ws.send(thirds(msg))  # an iterable: one frame per part
                    continue
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass
    except Exception as e:  # reported, never silent
        report(event="error", path=path, error=repr(e))
        # Fail the connection rather than wait for a client that waits for
        # an echo (as when websockets cannot compress with the window it
        # accepted).
        await ws.close(1011, "echo server error")
    finally:
        await ws.wait_closed()
        report(event="close", path=path, code=ws.close_code, reason=ws.close_reason, **terms)


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    options = {}
    if len(sys.argv) > 2:
        for name, kwargs in json.loads(sys.argv[2]).items():
            if kwargs is None:
                VARIANTS[name] = enable_server_permessage_deflate(None)
            else:
                VARIANTS[name] = [ServerPerMessageDeflateFactory(**kwargs)]
        options["create_protocol"] = VariantProtocol
    async with websockets.serve(
        handle,
        "127.0.0.1",
        port,
        max_size=64 << 20,
        max_queue=4096,
        ping_interval=None,
        **options,
    ) as server:
        print(next(iter(server.sockets)).getsockname()[1], flush=True)
        await asyncio.Future()  # until the test kills the process


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
