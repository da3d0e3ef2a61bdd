"""A conformance-testee client on Python's websockets.

Asks BASE/getCaseCount for the number of cases, connects to
BASE/runCase?case=N&agent=AGENT for each and echoes every message with its
type until the connection ends, then asks BASE/updateReports?agent=AGENT:
the protocol of the Autobahn testsuite's fuzzing server, which fastws's
conformance suite speaks.

Usage: /usr/bin/python3 testee_client.py ws://127.0.0.1:PORT AGENT
"""

import asyncio
import json
import sys
import urllib.parse

import websockets


async def run(url):
    """Echo on url until the connection ends; return the first message."""
    first = None
    try:
        async with websockets.connect(
            url, max_size=64 << 20, max_queue=None, compression=None, ping_interval=None, open_timeout=10
        ) as ws:
            async for message in ws:
                if first is None:
                    first = message
                await ws.send(message)
    except (websockets.exceptions.WebSocketException, OSError):
        pass  # a case may fail the connection, or the handshake, on purpose
    return first


async def main(base, agent):
    count = int(await run(base + "/getCaseCount"))
    quoted = urllib.parse.quote(agent)
    for i in range(1, count + 1):
        await run(f"{base}/runCase?case={i}&agent={quoted}")
    await run(f"{base}/updateReports?agent={quoted}")
    print(json.dumps({"cases": count}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[1].startswith("ws://127.0.0.1:"):
        sys.exit("usage: testee_client.py ws://127.0.0.1:PORT AGENT")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
