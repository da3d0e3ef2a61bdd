"""Python websockets as the CLIENT of an interop echo server.

Runs the interop echo list (see interop/doc.go) against an echo server,
checking every echo byte for byte, prints one JSON object

    {"peer": "...", "results": [{"name": ..., "pass": ..., "detail": ...}],
     "connections": [{"path": ..., "extensions": ..., "agreed": ...}]}

on stdout and exits 1 if any item failed. connections says, for each
connection, the Sec-WebSocket-Extensions the server answered and the
permessage-deflate terms websockets applies (null for none). The list runs
on BASE/main; close-by-server opens BASE/server-close.

Usage: /usr/bin/python3 client.py BASE [CONFIG]

BASE is ws://127.0.0.1:PORT[/PREFIX]. CONFIG, JSON, selects the deflate
list instead (see interop/doc.go):

    {"list": "deflate", "deflate": KWARGS, "full": BOOL, "big": BOOL}

where KWARGS are the keyword arguments of ClientPerMessageDeflateFactory
(null: websockets's default compression="deflate"), full selects the full
list rather than the short one and big adds random-16MiB; the compression
probe opens BASE/probe.

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
import urllib.parse

import websockets
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)

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


# The permessage-deflate factory of every connection: None for
# websockets's default (compression="deflate").
DEFLATE_FACTORY = None

# What each connection negotiated.
CONNECTIONS = []


def agreed_terms(ws):
    """Returns the permessage-deflate terms websockets applies on the client
    connection ws, or None."""
    for ext in ws.extensions:
        if isinstance(ext, PerMessageDeflate):
            return {
                "server_no_context_takeover": ext.remote_no_context_takeover,
                "client_no_context_takeover": ext.local_no_context_takeover,
                "server_max_window_bits": ext.remote_max_window_bits,
                "client_max_window_bits": ext.local_max_window_bits,
            }
    return None


async def connect(url):
    extensions = None if DEFLATE_FACTORY is None else [DEFLATE_FACTORY]
    ws = await asyncio.wait_for(
        websockets.connect(
            url, max_size=64 << 20, max_queue=4096, ping_interval=None, extensions=extensions
        ),
        ITEM_TIMEOUT,
    )
    CONNECTIONS.append(
        {
            "path": urllib.parse.urlparse(url).path,
            "extensions": ", ".join(ws.response_headers.get_all("Sec-WebSocket-Extensions")),
            "agreed": agreed_terms(ws),
        }
    )
    return ws


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


WORDS = ["alpha", "beta", "gamma", "delta", "fastws", "deflate", "window", "context"]


def json_text(n):
    """Returns n bytes of compressible JSON-like ASCII text:
    '[{"id":…,"name":"user-…",…},…' cut at n."""
    rng = random.Random(os.urandom(16))
    out, size = ["["], 1
    while size < n:
        i = rng.randrange(100000)
        rec = (
            f'{{"id":{i},"name":"user-{i}","tags":["{rng.choice(WORDS)}","{rng.choice(WORDS)}"],'
            f'"active":{"true" if rng.randrange(2) else "false"},"score":{rng.randrange(1000)}}},'
        )
        out.append(rec)
        size += len(rec)
    return "".join(out)[:n]


def pipelined_mixed_message(i):
    """Message i of pipelined-N-mixed: text for even i, binary for odd i,
    (37·i mod 400) bytes of '{"seq":I,…}' repeated."""
    unit = f'{{"seq":{i},"name":"item-{i}","ok":true}}'
    n = 37 * i % 400
    m = (unit * (n // len(unit) + 1))[:n]
    return m.encode() if i % 2 else m


async def send_all(ws, messages):
    for m in messages:
        await ws.send(m)
    for i, want in enumerate(messages):
        try:
            expect_message(await ws.recv(), want)
        except AssertionError as e:
            raise AssertionError(f"message {i}: {e}") from None


async def json_repeated(ws):
    m = json_text(5000)
    await send_all(ws, [m, m, m])
    return "3 × 5000 bytes echoed intact"


async def uncompressed_json(ws):
    # websockets cannot send one message uncompressed: this one goes
    # compressed, and a fastws server echoes it uncompressed.
    return await echo(ws, "uncompressed:" + json_text(64 << 10))


async def pipelined_mixed(ws, n):
    await send_all(ws, [pipelined_mixed_message(i) for i in range(n)])
    return f"{n} messages of 0 to 399 bytes echoed in order"


async def fragmented_json(ws):
    parts = [json_text(25000) for _ in range(4)]
    await ws.send(parts)
    return expect_message(await ws.recv(), "".join(parts)) + " (sent as 4 frames)"


async def compression_probe(base):
    """The server checks what this message was on the wire."""
    ws = await connect(base + "/probe")
    m = json_text(64 << 10)
    await ws.send(m)
    detail = expect_message(await ws.recv(), m)
    await ws.close(1000)
    if ws.close_code != 1000:
        raise AssertionError(f"the server answered our close 1000 with {ws.close_code}")
    return detail


def deflate_items(base, full, big):
    """The deflate list (see interop/doc.go)."""
    common = dict(items(base))
    n = 1000 if full else 100
    out = [
        ("text", common["text"]),
        ("text-utf8", common["text-utf8"]),
        ("empty-text", common["empty-text"]),
        ("empty-binary", common["empty-binary"]),
        ("json-127", lambda ws: echo(ws, json_text(127))),
        ("json-128", lambda ws: echo(ws, json_text(128))),
        ("json-binary-129", lambda ws: echo(ws, json_text(129).encode())),
        ("binary", common["binary"]),
        ("binary-65536", common["binary-65536"]),
        ("json-64KiB", lambda ws: echo(ws, json_text(64 << 10))),
        ("json-1MiB", lambda ws: echo(ws, json_text(MiB))),
        ("random-1MiB", common["random-1MiB"]),
        ("random-16MiB", common["random-16MiB"]),
        ("text-utf8-64KiB", lambda ws: echo(ws, random_text(64 << 10, False))),
        ("json-repeated-3", json_repeated),
        ("uncompressed-json", uncompressed_json),
        (f"pipelined-{n}-mixed", lambda ws: pipelined_mixed(ws, n)),
        ("fragmented-text-sent", common["fragmented-text-sent"]),
        ("fragmented-json-sent", fragmented_json),
        ("fragmented-binary-sent", common["fragmented-binary-sent"]),
        ("fragmented-received", common["fragmented-received"]),
        ("ping-by-client", common["ping-by-client"]),
        ("ping-by-server", common["ping-by-server"]),
        ("compression-probe", lambda ws: compression_probe(base)),
        ("close-by-client", common["close-by-client"]),
        ("close-by-server", common["close-by-server"]),
    ]
    return [
        (name, run)
        for name, run in out
        if (full or name != "json-1MiB") and (big or name != "random-16MiB")
    ]


async def main():
    global DEFLATE_FACTORY
    if len(sys.argv) not in (2, 3) or not sys.argv[1].startswith("ws://127.0.0.1:"):
        print("usage: client.py ws://127.0.0.1:PORT[/PREFIX] [CONFIG]", file=sys.stderr)
        return 2
    base = sys.argv[1]
    config = json.loads(sys.argv[2]) if len(sys.argv) == 3 else {}
    deflate_list = config.get("list") == "deflate"
    if deflate_list and config.get("deflate") is not None:
        DEFLATE_FACTORY = ClientPerMessageDeflateFactory(**config["deflate"])
    todo = deflate_items(base, config.get("full"), config.get("big")) if deflate_list else items(base)
    results = []
    try:
        ws = await connect(base + "/main")
    except Exception as e:
        ws = None
        results.append({"name": "connect", "pass": False, "detail": repr(e)})
    for name, run in todo if ws else []:
        started = time.monotonic()
        try:
            detail = await asyncio.wait_for(run(ws), ITEM_TIMEOUT)
            ms = round((time.monotonic() - started) * 1000)
            results.append({"name": name, "pass": True, "detail": f"{detail} ({ms} ms)"})
        except Exception as e:
            results.append({"name": name, "pass": False, "detail": f"{type(e).__name__}: {e}"})
    peer = f"websockets {websockets.__version__} on Python {sys.version.split()[0]}"
    print(json.dumps({"peer": peer, "results": results, "connections": CONNECTIONS}), flush=True)
    return 0 if all(r["pass"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
