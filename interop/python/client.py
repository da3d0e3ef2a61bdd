"""Python websockets as the CLIENT of an interop echo server.

Runs the interop echo list (see interop/doc.go) against an echo server,
checking every echo byte for byte, prints one JSON object

    {"peer": "...", "results": [{"name": ..., "pass": ..., "detail": ...}]}

on stdout and exits 1 if any item failed. The list runs on BASE/main;
close-by-server opens BASE/server-close.

Usage: /usr/bin/python3 client.py ws://127.0.0.1:PORT

Written for Debian's python3-websockets (10.x, the legacy asyncio API);
it also runs on later versions. websockets 10 has no hook for received
pings, so ping-by-server is checked through the server's answer (and by
the fastws server's own record of its Ping).
"""

import asyncio
import json
import os
import random
import sys
import time

import websockets

ITEM_TIMEOUT = 30.0
MiB = 1 << 20


def random_text(n, ascii_only):
    """Returns n bytes of random UTF-8 text, mixing one- to four-byte
    characters unless ascii_only."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 "
    if not ascii_only:
        alphabet += "éüßñ✓€日本語🚀😀"
    rng = random.Random(os.urandom(16))
    out, size = [], 0
    while size < n:
        ch = rng.choice(alphabet)
        k = len(ch.encode())
        if size + k > n:
            break
        out.append(ch)
        size += k
    return "".join(out) + "x" * (n - size)


def expect_message(got, want):
    """Checks that got has want's type (str is text, bytes binary) and
    exactly its bytes."""
    if isinstance(got, str) != isinstance(want, str):
        kind = lambda m: "text" if isinstance(m, str) else "binary"
        raise AssertionError(f"got a {kind(got)} message, want {kind(want)}")
    g = got.encode() if isinstance(got, str) else got
    w = want.encode() if isinstance(want, str) else want
    if g != w:
        i = 0
        while i < min(len(g), len(w)) and g[i] == w[i]:
            i += 1
        raise AssertionError(
            f"payload differs: got {len(g)} bytes, want {len(w)}; first difference at byte {i}"
        )
    return f"{len(w)} bytes echoed intact"


async def echo(ws, payload):
    await ws.send(payload)
    return expect_message(await ws.recv(), payload)


async def pipelined(ws):
    sent = []
    for i in range(1000):
        if i % 2:
            m = i.to_bytes(4, "big") + bytes([i % 251]) * (i % 5)
        else:
            m = f"pipelined-{i}-" + "x" * (i % 7)
        sent.append(m)
        await ws.send(m)
    for i, want in enumerate(sent):
        try:
            expect_message(await ws.recv(), want)
        except AssertionError as e:
            raise AssertionError(f"message {i}: {e}") from None
    return "1000 messages echoed in order"


async def fragmented_text(ws):
    parts = ["frag-", "mént", "ed ✓"]
    await ws.send(parts)  # an iterable: one frame per part
    return expect_message(await ws.recv(), "".join(parts)) + " (sent as 3 frames)"


async def fragmented_binary(ws):
    parts = [os.urandom(70000), os.urandom(1), b"", os.urandom(20000)]
    await ws.send(parts)
    return expect_message(await ws.recv(), b"".join(parts)) + " (sent as 4 frames)"


async def ping(ws, payload):
    waiter = await ws.ping(payload)
    await asyncio.wait_for(waiter, ITEM_TIMEOUT)  # resolved by the pong carrying payload
    return f"pong carried the {len(payload)}-byte ping payload"


async def ping_by_server(ws):
    payload = "ping-from-server"
    await ws.send("ping-me:" + payload)
    return expect_message(await ws.recv(), "pong-received:" + payload)


async def close_by_client(ws):
    await ws.close(4001, "bye-from-client")
    if ws.close_code != 4001:
        raise AssertionError(
            f"the server answered our close 4001 with {ws.close_code} {ws.close_reason!r}"
        )
    return f"server answered {ws.close_code} {ws.close_reason!r}"


async def close_by_server(base):
    ws = await connect(base + "/server-close")
    await ws.send("close:4002:bye-from-server")
    try:
        msg = await ws.recv()
        raise AssertionError(f"got a message {msg[:40]!r} instead of the close")
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    if ws.close_code != 4002 or ws.close_reason != "bye-from-server":
        raise AssertionError(
            f"closed with {ws.close_code} {ws.close_reason!r}, want 4002 'bye-from-server'"
        )
    return f"closed with {ws.close_code} {ws.close_reason!r}"


def connect(url):
    return asyncio.wait_for(
        websockets.connect(url, max_size=64 << 20, max_queue=4096, ping_interval=None),
        ITEM_TIMEOUT,
    )


def items(base):
    return [
        ("text", lambda ws: echo(ws, "hello, fastws")),
        ("text-utf8", lambda ws: echo(ws, "héllo wörld ✓ 日本語 🚀")),
        ("binary", lambda ws: echo(ws, bytes(range(256)))),
        ("empty-text", lambda ws: echo(ws, "")),
        ("empty-binary", lambda ws: echo(ws, b"")),
        ("binary-125", lambda ws: echo(ws, os.urandom(125))),
        ("binary-126", lambda ws: echo(ws, os.urandom(126))),
        ("binary-65535", lambda ws: echo(ws, os.urandom(65535))),
        ("binary-65536", lambda ws: echo(ws, os.urandom(65536))),
        ("text-65536", lambda ws: echo(ws, random_text(65536, True))),
        ("random-1MiB", lambda ws: echo(ws, os.urandom(MiB))),
        ("random-16MiB", lambda ws: echo(ws, os.urandom(16 * MiB))),
        ("text-1MiB", lambda ws: echo(ws, random_text(MiB, False))),
        ("pipelined-1000", pipelined),
        ("fragmented-text-sent", fragmented_text),
        ("fragmented-binary-sent", fragmented_binary),
        ("fragmented-received", lambda ws: echo(ws, "fragment-me:" + random_text(40000, False))),
        ("ping-by-client", lambda ws: ping(ws, b"ping-from-client")),
        ("ping-125-by-client", lambda ws: ping(ws, os.urandom(125))),
        ("ping-by-server", ping_by_server),
        ("close-by-client", close_by_client),
        ("close-by-server", lambda ws: close_by_server(base)),
    ]


async def main():
    if len(sys.argv) != 2 or not sys.argv[1].startswith("ws://127.0.0.1:"):
        print("usage: client.py ws://127.0.0.1:PORT", file=sys.stderr)
        return 2
    base = sys.argv[1]
    results = []
    try:
        ws = await connect(base + "/main")
    except Exception as e:
        ws = None
        results.append({"name": "connect", "pass": False, "detail": repr(e)})
    for name, run in items(base) if ws else []:
        started = time.monotonic()
        try:
            detail = await asyncio.wait_for(run(ws), ITEM_TIMEOUT)
            ms = round((time.monotonic() - started) * 1000)
            results.append({"name": name, "pass": True, "detail": f"{detail} ({ms} ms)"})
        except Exception as e:
            results.append({"name": name, "pass": False, "detail": f"{type(e).__name__}: {e}"})
    peer = f"websockets {websockets.__version__} on Python {sys.version.split()[0]}"
    print(json.dumps({"peer": peer, "results": results}), flush=True)
    return 0 if all(r["pass"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
