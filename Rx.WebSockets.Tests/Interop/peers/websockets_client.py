"""Debian python3-websockets (10.x, legacy asyncio API) as an interop peer.

Runs the echo scenario against URL and prints one JSON line of results.
Usage: /usr/bin/python3 websockets_client.py ws://127.0.0.1:PORT/echo
"""
import asyncio
import json
import os
import sys

import websockets


async def scenario(url, results):
    async with websockets.connect(url, compression=None, max_size=2 ** 21) as ws:
        results["extensions"] = [e.name for e in ws.extensions]
        await ws.send("hello from python")
        results["text"] = (await ws.recv()) == "hello from python"

        data = bytes([1, 2, 3, 250])
        await ws.send(data)
        results["binary"] = (await ws.recv()) == data

        # An iterable is sent as a fragmented message, one frame per element.
        await ws.send(["frag-", "é-", "ment"])
        results["fragmented"] = (await ws.recv()) == "frag-é-ment"

        large = os.urandom(1024 * 1024)
        await ws.send(large)
        results["large"] = (await ws.recv()) == large

        pong_waiter = await ws.ping(b"ping-42")
        await asyncio.wait_for(pong_waiter, 10)
        results["ping"] = True

        await ws.close(code=4000, reason="bye")
        results["closeCode"] = ws.close_code
        results["closeReason"] = ws.close_reason


def main():
    url = sys.argv[1]
    results = {"peer": "python3-websockets " + websockets.__version__}
    code = 0
    try:
        asyncio.run(asyncio.wait_for(scenario(url, results), 20))
    except Exception as e:  # report, do not crash: the test reads the JSON line
        results["error"] = repr(e)
        code = 1
    print(json.dumps(results))
    sys.exit(code)


if __name__ == "__main__":
    main()
