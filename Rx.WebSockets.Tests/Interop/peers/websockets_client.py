"""Debian python3-websockets (10.x, legacy asyncio API) as an interop peer.

Runs the interop scenarios against EchoServer at BASE and prints one JSON line of results.
Usage: /usr/bin/python3 websockets_client.py ws://127.0.0.1:PORT ID
  ID  names this run's sessions on the server's /interop routes (see InteropServerFixture).
Messages go to EchoServer's /echo; the server's side of pings and closes is watched on /interop/echo, server fragments
come from /interop/fragments and a server-initiated close from /interop/close.
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


class Server:
    def __init__(self, base, session_id):
        self.netloc = urllib.parse.urlsplit(base).netloc
        self.id = session_id

    def ws(self, path, **query):
        return urllib.parse.urlunsplit(("ws", self.netloc, path, urllib.parse.urlencode(query), ""))

    def http(self, path, **query):
        return urllib.parse.urlunsplit(("http", self.netloc, path, urllib.parse.urlencode(query), ""))


def close_of(ws):
    return {"code": ws.close_code, "reason": ws.close_reason}


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


async def echo_scenarios(server, results):
    # compression="deflate" (the default) offers permessage-deflate.
    async with websockets.connect(server.ws("/echo"), max_size=2 ** 21) as ws:
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


async def watched_scenarios(server, results):
    async with websockets.connect(server.ws("/interop/echo", id=server.id, ping=100)) as ws:
        # websockets answers the server's pings by itself; the server says when it has seen one of those pongs.
        # urllib blocks, so it runs on a thread while the event loop keeps reading (and ponging).
        pongs = server.http("/interop/pongs", id=server.id, count=1)
        status = await asyncio.get_running_loop().run_in_executor(None, functools.partial(http_status, pongs))
        results["serverPing"] = status == 200

        await ws.close(code=4000, reason="bye")
        results["closeFromClient"] = close_of(ws)


async def fragments_scenario(server, results):
    async with websockets.connect(server.ws("/interop/fragments", id=server.id + "-fragments")) as ws:
        text = await ws.recv()
        binary = await ws.recv()
        results["fragmentedFromServer"] = text == "frag-é-ment" and binary == bytes([1, 2, 3, 250])


async def server_close_scenario(server, results):
    url = server.ws("/interop/close", code=4001, reason="server bye", id=server.id + "-server-close")
    async with websockets.connect(url) as ws:
        await ws.send("close me")  # the server closes on the first message
        try:
            await ws.recv()
        except websockets.ConnectionClosed:
            pass
        # websockets answers a Close with the same code and reason.
        await ws.wait_closed()
        results["closeFromServer"] = close_of(ws)


async def scenario(server, results):
    await echo_scenarios(server, results)
    await watched_scenarios(server, results)
    await fragments_scenario(server, results)
    await server_close_scenario(server, results)


def main():
    server = Server(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "python")
    results = {"peer": "python3-websockets " + websockets.__version__}
    code = 0
    try:
        asyncio.run(asyncio.wait_for(scenario(server, results), 20))
    except Exception as e:  # report, do not crash: the test reads the JSON line
        results["error"] = repr(e)
        code = 1
    print(json.dumps(results))
    sys.exit(code)


if __name__ == "__main__":
    main()
