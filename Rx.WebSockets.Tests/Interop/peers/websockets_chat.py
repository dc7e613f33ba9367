"""Debian python3-websockets (10.x, legacy asyncio API) as two members of examples/Chat.

alice and bob meet in ROOM, see each other's join, messages and leave; prints one JSON line with everything each of
them received (the raw JSON text frames) and the Close each got back.
Usage: /usr/bin/python3 websockets_chat.py ws://127.0.0.1:PORT ROOM
"""
import asyncio
import json
import sys
import urllib.parse

import websockets


def close_of(ws):
    return {"code": ws.close_code, "reason": ws.close_reason}


def is_(kind, nick, text=None):
    return lambda m: m["type"] == kind and m["nick"] == nick and (text is None or m["text"] == text)


class Member:
    """One chat connection; a reader task keeps every frame received, in order, in the shared results."""

    def __init__(self, ws, log):
        self.ws = ws
        self.log = log
        self.changed = asyncio.Condition()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def join(cls, base, room, nick, results):
        query = urllib.parse.urlencode({"room": room, "nick": nick})
        ws = await websockets.connect(f"{base}/chat?{query}")
        results[nick] = []
        return cls(ws, results[nick])

    async def _read(self):
        # Ends when the connection closes (cleanly: the iteration stops; otherwise ConnectionClosedError).
        try:
            async for message in self.ws:
                async with self.changed:
                    self.log.append(message if isinstance(message, str) else "binary:" + message.hex())
                    self.changed.notify_all()
        except websockets.ConnectionClosed:
            pass

    async def until(self, check):
        async with self.changed:
            await self.changed.wait_for(lambda: any(check(json.loads(t)) for t in self.log))

    async def close(self):
        await self.ws.close(code=1000, reason="bye")
        await self.reader
        return close_of(self.ws)


async def scenario(base, room, results):
    alice = await Member.join(base, room, "alice", results)
    await alice.until(is_("join", "alice"))
    bob = await Member.join(base, room, "bob", results)
    await asyncio.gather(alice.until(is_("join", "bob")), bob.until(is_("join", "bob")))

    await bob.ws.send("hello from bob")
    await asyncio.gather(alice.until(is_("message", "bob", "hello from bob")), bob.until(is_("message", "bob", "hello from bob")))
    await alice.ws.send("hello from alice")
    await asyncio.gather(alice.until(is_("message", "alice", "hello from alice")), bob.until(is_("message", "alice", "hello from alice")))

    results["bobClose"] = await bob.close()
    await alice.until(is_("leave", "bob"))
    results["aliceClose"] = await alice.close()


def main():
    results = {"peer": "python3-websockets " + websockets.__version__}
    code = 0
    try:
        asyncio.run(asyncio.wait_for(scenario(sys.argv[1], sys.argv[2], results), 20))
    except Exception as e:  # report, do not crash: the test reads the JSON line
        results["error"] = repr(e)
        code = 1
    print(json.dumps(results))
    sys.exit(code)


if __name__ == "__main__":
    main()
