"""Debian python3-websockets (10.x, legacy asyncio API) as an interop peer.

Runs the interop scenarios against the server of URL and prints one JSON line of results.
Usage: /usr/bin/python3 websockets_client.py ws://127.0.0.1:PORT/echo?id=ID&ping=MS
  URL  the echo route; its id names the sessions on the server, its ping turns on the server's pinger.
Besides the echo route, the scenarios use the server's /fragments, /close and /pongs routes (see InteropServerFixture).
"""
import asyncio
import functools
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import websockets


def session_url(echo, path, query):
    return urllib.parse.urlunsplit((echo.scheme, echo.netloc, path, urllib.parse.urlencode(query), ""))


def close_of(ws):
    return {"code": ws.close_code, "reason": ws.close_reason}


async def echo_scenarios(url, session_id, results):
    # compression="deflate" (the default) offers permessage-deflate.
    async with websockets.connect(url, max_size=2 ** 21) as ws:
        results["extensions"] = ", ".join(e.name for e in ws.extensions)
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

        # websockets answers the server's pings by itself; the server says when it has seen one of those pongs.
        # urllib blocks, so it runs on a thread while the event loop keeps reading (and ponging).
        echo = urllib.parse.urlsplit(url)
        pongs = urllib.parse.urlunsplit(("http", echo.netloc, "/pongs", urllib.parse.urlencode({"id": session_id, "count": 1}), ""))
        loop = asyncio.get_running_loop()
        status = await loop.run_in_executor(None, functools.partial(http_status, pongs))
        results["serverPing"] = status == 200

        await ws.close(code=4000, reason="bye")
        results["closeFromClient"] = close_of(ws)


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


async def fragments_scenario(url, session_id, results):
    echo = urllib.parse.urlsplit(url)
    async with websockets.connect(session_url(echo, "/fragments", {"id": session_id + "-fragments"})) as ws:
        text = await ws.recv()
        binary = await ws.recv()
        results["fragmentedFromServer"] = text == "frag-é-ment" and binary == bytes([1, 2, 3, 250])


async def server_close_scenario(url, session_id, results):
    echo = urllib.parse.urlsplit(url)
    query = {"code": 4001, "reason": "server bye", "id": session_id + "-server-close"}
    async with websockets.connect(session_url(echo, "/close", query)) as ws:
        await ws.send("close me")  # the server closes on the first message
        try:
            await ws.recv()
        except websockets.ConnectionClosed:
            pass
        # websockets answers a Close with the same code and reason.
        await ws.wait_closed()
        results["closeFromServer"] = close_of(ws)


async def scenario(url, results):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    session_id = query.get("id", ["python"])[0]
    await echo_scenarios(url, session_id, results)
    await fragments_scenario(url, session_id, results)
    await server_close_scenario(url, session_id, results)


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
