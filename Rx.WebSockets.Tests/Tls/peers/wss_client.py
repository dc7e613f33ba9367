"""Debian python3-websockets over TLS: echoes a text and a binary message on wss://HOST:PORT/echo with an SSL context
that trusts only the test's certificate (cafile) and offers ALPN http/1.1; prints one JSON line of results.
Usage: /usr/bin/python3 wss_client.py wss://127.0.0.1:PORT/echo CA.pem
"""
import asyncio
import json
import ssl
import sys

import websockets


async def main(url, cafile):
    results = {}
    context = ssl.create_default_context(cafile=cafile)
    context.set_alpn_protocols(["http/1.1"])
    async with websockets.connect(url, ssl=context) as ws:
        results["alpn"] = ws.transport.get_extra_info("ssl_object").selected_alpn_protocol()
        await ws.send("hello over wss from python")
        results["text"] = (await ws.recv()) == "hello over wss from python"
        data = bytes([1, 2, 3, 250])
        await ws.send(data)
        results["binary"] = (await ws.recv()) == data
        await ws.close(code=1000, reason="bye")
        results["close"] = ws.close_code
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2]), 20))))
