"""Python websockets as an echo SERVER speaking the interop echo protocol.

See interop/doc.go for the protocol. The server listens on 127.0.0.1,
prints the port it got as the first line of stdout, then one JSON line per
finished connection:

    {"event": "close", "path": "/main", "code": 4001, "reason": "bye-from-client"}

with the close code and reason of the client's close frame (1005 for none,
1006 if the connection ended without one), and
{"event": "error", "path": ..., "error": ...} for anything that went wrong.

Usage: /usr/bin/python3 echo_server.py [PORT]   (0 or nothing: any free port)

Written for Debian's python3-websockets (10.x, the legacy asyncio API);
it also runs on later versions.
"""

import asyncio
import json
import sys

import websockets

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


async def handle(ws, *args):
    path = request_path(ws, args)
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
    finally:
        await ws.wait_closed()
        report(event="close", path=path, code=ws.close_code, reason=ws.close_reason)


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    async with websockets.serve(
        handle,
        "127.0.0.1",
        port,
        max_size=64 << 20,
        max_queue=4096,
        ping_interval=None,
    ) as server:
        print(next(iter(server.sockets)).getsockname()[1], flush=True)
        await asyncio.Future()  # until the test kills the process


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
