#!/usr/bin/env python3
"""Writes the hand-made seed corpora (fuzz/corpus/<target>/seed-*) from RFC examples.

Run once by hand; the output is committed. afl-fuzz then adds what it finds (queue-*, crash-*) beside them.
Sources: RFC 6455 §5.7 (frames), §5.5.1/§7.4 (close), RFC 7692 §7.2.3 (deflate bytes), §5 (offers),
RFC 9112 §3/§7.1 (request heads, chunked), RFC 7578 §4 / RFC 2046 §5.1.1 (multipart), RFC 9110 §14.1.2 (Range).
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
MASK = bytes.fromhex("37fa213d")  # RFC 6455 §5.7's masking key


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("latin-1"))


def frame(first, payload, mask=MASK):
    n = len(payload)
    if n <= 125:
        head = bytes([first, 0x80 | n])
    elif n <= 0xFFFF:
        head = bytes([first, 0x80 | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, 0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


hello_deflate = bytes.fromhex("f248cdc9c90700")          # §7.2.3.1
hello_again = bytes.fromhex("f200110000")                # §7.2.3.2, with context
hello_stored = bytes.fromhex("000500faff48656c6c6f00")   # §7.2.3.3
hello_bfinal = bytes.fromhex("f348cdc9c9070000")         # §7.2.3.4
hello_two_blocks = bytes.fromhex("f248050000 00ffff cac9c90700".replace(" ", ""))  # §7.2.3.5

# --- frame: RFC 6455 §5.7 examples, masked as a client sends them, plus RFC 7692 §7.2.3 messages.
write("frame", "masked-hello", frame(0x81, b"Hello"))
write("frame", "unmasked-hello", bytes.fromhex("810548656c6c6f"))
write("frame", "fragmented-hello", frame(0x01, b"Hel") + frame(0x80, b"lo"))
write("frame", "ping-pong", frame(0x89, b"Hello") + frame(0x8A, b"Hello"))
write("frame", "ping-inside-fragments", frame(0x01, b"Hel") + frame(0x89, b"") + frame(0x80, b"lo"))
write("frame", "binary-256", frame(0x82, bytes(range(256))))
write("frame", "binary-64k-header", bytes([0x82, 0xFF]) + struct.pack(">Q", 65536) + MASK)
write("frame", "close-1000", frame(0x88, struct.pack(">H", 1000) + b"bye"))
write("frame", "text-utf8", frame(0x81, "κόσμε €𝄞".encode("utf-8")))
write("frame", "text-split-char", frame(0x01, b"\xe2\x82") + frame(0x80, b"\xac"))
write("frame", "deflate-hello", frame(0xC1, hello_deflate))
write("frame", "deflate-fragmented", frame(0x41, hello_deflate[:3]) + frame(0x80, hello_deflate[3:]))
write("frame", "deflate-context", frame(0xC1, hello_deflate) + frame(0xC1, hello_again))
write("frame", "deflate-stored", frame(0xC2, hello_stored))
write("frame", "deflate-bfinal", frame(0xC1, hello_bfinal) + frame(0xC1, hello_deflate))
write("frame", "deflate-two-blocks", frame(0xC1, hello_two_blocks))
write("frame", "deflate-empty", frame(0xC1, b"\x00") + frame(0xC1, b""))

# --- utf8: RFC 3629 examples and the boundary cases of its table.
for name, data in [
    ("ascii", b"Hello"), ("kosme", "κόσμε".encode()), ("euro", "€".encode()), ("g-clef", "𝄞".encode()),
    ("max", "\U0010ffff".encode()), ("surrogate", b"\xed\xa0\x80"), ("overlong", b"\xc0\xaf"),
    ("overlong-3", b"\xe0\x80\xaf"), ("too-big", b"\xf4\x90\x80\x80"), ("truncated", b"\xe2\x82"),
    ("lone-continuation", b"\x80"), ("mixed", "a€𝄞b".encode() + b"\xce"),
]:
    write("utf8", name, data)

# --- close: payloads of RFC 6455 §5.5.1 / §7.4.
for name, data in [
    ("empty", b""), ("1000", struct.pack(">H", 1000)), ("1001-reason", struct.pack(">H", 1001) + b"going away"),
    ("one-byte", b"\x03"), ("1005", struct.pack(">H", 1005)), ("1015", struct.pack(">H", 1015)),
    ("3000", struct.pack(">H", 3000)), ("4999-utf8", struct.pack(">H", 4999) + "κόσμε".encode()),
    ("5000", struct.pack(">H", 5000)), ("bad-utf8", struct.pack(">H", 1000) + b"\xff"),
    ("long-reason", struct.pack(">H", 1000) + b"x" * 123),
]:
    write("close", name, data)

# --- http: RFC 9112 §3 request lines, RFC 6455 §1.2's opening handshake, pipelining.
upgrade = ("GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n"
           "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")
write("http", "upgrade", upgrade)
write("http", "simple", "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
write("http", "pipelined", "GET /a?x=1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /b HTTP/1.0\r\n\r\n")
write("http", "leading-crlf", "\r\n\r\nPOST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
write("http", "absolute-form", "GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n")
write("http", "asterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
write("http", "authority", "CONNECT www.example.com:80 HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
write("http", "chunked-te", "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n")
write("http", "obs-text", "GET /caf\xe9 HTTP/1.1\r\nHost: a\r\nX-Name: caf\xe9\r\n\r\n")
write("http", "bare-lf", "GET / HTTP/1.1\nHost: a\n\n")
write("http", "obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n")
write("http", "http2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n")

# --- chunked: RFC 9112 §7.1 with extensions and trailers.
write("chunked", "wiki", "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n")
write("chunked", "extensions", "5;name=value;q=\"a;b\\\"c\"\r\nhello\r\n0;last\r\n\r\n")
write("chunked", "trailers", "3\r\nabc\r\n0\r\nExpires: Wed, 21 Oct 2015 07:28:00 GMT\r\nX-Sum: 1\r\n\r\nGET /next HTTP/1.1\r\n")
write("chunked", "hex-case", "a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n")
write("chunked", "bws", "3 ;ext = \"v\"\r\nabc\r\n0\r\n\r\n")
write("chunked", "too-big", "fffffffffffffff\r\n")
write("chunked", "bare-lf", "3\nabc\n0\n\n")

# --- multipart: RFC 7578 §4 style, boundary AaB03x (HttpTargets.MultipartBoundary).
write("multipart", "form", "--AaB03x\r\nContent-Disposition: form-data; name=\"field1\"\r\n\r\nJoe Blow\r\n"
      "--AaB03x\r\nContent-Disposition: form-data; name=\"pics\"; filename=\"file1.txt\"\r\nContent-Type: text/plain\r\n\r\n"
      "... contents of file1.txt ...\r\n--AaB03x--\r\n")
write("multipart", "preamble-epilogue", "This is the preamble.\r\n--AaB03x\r\n\r\nbody\r\n--AaB03x--  \r\nThis is the epilogue.")
write("multipart", "empty-parts", "--AaB03x\r\n\r\n\r\n--AaB03x\r\n--AaB03x--")
write("multipart", "boundary-in-body", "--AaB03x\r\nX: y\r\n\r\nline --AaB03x not a delimiter\r\n--AaB03xx\r\n--AaB03x--\r\n")
write("multipart", "padding", "--AaB03x \t\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xe2\x82\xac\r\n--AaB03x--")
write("multipart", "unterminated", "--AaB03x\r\nA: b\r\n\r\ndata without end")

# --- range: RFC 9110 §14.1.2 examples.
for name, data in [
    ("first-500", "bytes=0-499"), ("second-500", "bytes=500-999"), ("suffix", "bytes=-500"), ("open", "bytes=9500-"),
    ("first-last", "bytes=0-0,-1"), ("multi", "bytes=500-600,601-999"), ("overlap", "bytes=500-700,601-999"),
    ("spaces", "bytes= 0-1 , 4-5 ,, 8-"), ("other-unit", "items=0-1"), ("invalid", "bytes=5-1"),
    ("huge", "bytes=99999999999999999999999-"), ("many", "bytes=" + ",".join(f"{i*3}-{i*3}" for i in range(20))),
]:
    write("range", name, data)

# --- extension: RFC 7692 §5 / §7.1 offers, RFC 6455 §9.1 grammar.
for name, data in [
    ("plain", "permessage-deflate"),
    ("client-bits", "permessage-deflate; client_max_window_bits"),
    ("full", "permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=10"),
    ("fallback", "permessage-deflate; server_max_window_bits=10, permessage-deflate"),
    ("quoted", "permessage-deflate; client_max_window_bits=\"15\", foo; bar=\"b a z\""),
    ("two-lines", "foo\x00permessage-deflate;server_no_context_takeover"),
    ("bad-bits", "permessage-deflate; server_max_window_bits=16"),
    ("duplicate", "permessage-deflate; server_no_context_takeover; server_no_context_takeover"),
]:
    write("extension", name, data)


# --- inflate: records [flags][length][payload]; flags bit 0 FIN, bit 1 binary, bit 2 RSV1, bit 3 no context takeover.
def rec(flags, payload):
    return bytes([flags, len(payload)]) + payload


write("inflate", "hello", rec(0b101, hello_deflate))
write("inflate", "context", rec(0b101, hello_deflate) + rec(0b101, hello_again))
write("inflate", "no-context", rec(0b1101, hello_deflate) + rec(0b101, hello_deflate))
write("inflate", "fragmented", rec(0b100, hello_deflate[:3]) + rec(0b001, hello_deflate[3:]))
write("inflate", "stored-binary", rec(0b111, hello_stored))
write("inflate", "bfinal", rec(0b101, hello_bfinal) + rec(0b101, hello_deflate))
write("inflate", "two-blocks", rec(0b101, hello_two_blocks))
write("inflate", "empty", rec(0b101, b"\x00") + rec(0b101, b"") + rec(0b101, hello_deflate))
write("inflate", "uncompressed-between", rec(0b001, b"plain") + rec(0b101, hello_deflate))
# A small bomb: a stored-less fixed-Huffman run of zeros that inflates past the 4096-byte limit.
import zlib
c = zlib.compressobj(9, zlib.DEFLATED, -15)
bomb = c.compress(b"\x00" * 100000) + c.flush(zlib.Z_SYNC_FLUSH)
write("inflate", "bomb", rec(0b111, bomb[:-4][:255]))
