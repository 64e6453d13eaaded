#!/usr/bin/env python3
"""Writes the fuzz tests' seed inputs: real client frames (what the web and SDK clients send) in each test's
input layout. Run from gateway-ws: python3 src/test/fuzz/make_seeds.py. Seeds are named seed-*; inputs that
once failed are kept beside them under their own names and are not touched here."""
import base64, hashlib, hmac, json, os, struct

SECRET = b"fuzz-secret-fuzz-secret-fuzz-secret-0123"  # FuzzConnection.SECRET
BASE = "src/test/resources/io/danmaku/gateway/fuzz"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(claims, header=None):
    h = json.dumps(header or {"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode()
    p = json.dumps(claims, separators=(",", ":")).encode()
    si = b64(h) + "." + b64(p)
    return si + "." + b64(hmac.new(SECRET, si.encode(), hashlib.sha256).digest())


TOKEN = jwt({"sub": "10086", "name": "Alice"})
TOKEN_ROOMS = jwt({"sub": "42", "info": {"name": "Bob"}, "rooms": ["123", "news"]})


def packet(op, body=b"", ver=1, seq=1, pack_len=None, header_len=16):
    return struct.pack(">IHHII", 16 + len(body) if pack_len is None else pack_len, header_len, ver, op, seq) + body


def auth(key=TOKEN, room=123, protover=3):
    d = {"uid": 10086, "roomid": room, "protover": protover, "platform": "web", "type": 2}
    if key is not None:
        d["key"] = key
    return packet(7, json.dumps(d, separators=(",", ":")).encode())


HEARTBEAT = packet(2, b"[object Object]")


def write(test, method, name, data):
    d = os.path.join(BASE if "/" not in test else "src/test/resources/io/danmaku/gateway", test + "Inputs", method)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# BilibiliHandlerFuzzTest.frames: flag byte, then u16 header (bit 15: text) + frame
def bili(flag, *frames):
    out = bytes([flag])
    for text, f in frames:
        out += struct.pack(">H", (0x8000 if text else 0) | len(f)) + f
    return out


T = "BilibiliHandlerFuzzTest"
write(T, "frames", "auth-then-heartbeat", bili(0, (False, auth()), (False, HEARTBEAT)))
write(T, "frames", "auth-and-heartbeat-in-one-frame", bili(0, (False, auth() + HEARTBEAT)))
write(T, "frames", "auth-rooms-claim", bili(0, (False, auth(TOKEN_ROOMS, protover=2)), (False, HEARTBEAT)))
write(T, "frames", "anonymous-protover-0", bili(0, (False, auth(None, protover=0))))
write(T, "frames", "joined-heartbeats", bili(1, (False, HEARTBEAT), (False, HEARTBEAT + HEARTBEAT)))
write(T, "frames", "joined-second-auth", bili(1, (False, auth())))
write(T, "frames", "joined-unknown-op", bili(1, (False, packet(5, b"{}"))))
write(T, "frames", "text-frame", bili(0, (True, b'{"cmd":"AUTH"}')))
write(T, "frames", "bad-token", bili(0, (False, auth("eyJhbGciOiJub25lIn0.e30."))))
write(T, "frames", "truncated-header", bili(0, (False, packet(7)[:10])))
write(T, "frames", "huge-packlen", bili(1, (False, packet(2, pack_len=0xFFFFFFF0))))
write(T, "frames", "bad-header-len", bili(1, (False, packet(2, header_len=18))))
write(T, "frames", "zlib-version", bili(1, (False, packet(2, ver=2))))

# CentrifugeHandlerFuzzTest.commandsAfterConnect: text frames separated by a zero byte (after a valid connect)
T = "CentrifugeHandlerFuzzTest"
cmds = [
    {"id": 2, "subscribe": {"channel": "123"}},
    {"id": 3, "publish": {"channel": "123", "data": {"text": "hello", "color": 16777215}}},
    {"id": 4, "history": {"channel": "123", "limit": 10, "since": {"offset": 0, "epoch": "e"}}},
    {"id": 5, "presence_stats": {"channel": "123"}},
    {"id": 6, "presence": {"channel": "123"}},
    {"id": 7, "refresh": {"token": TOKEN}},
    {"id": 8, "rpc": {"method": "x", "data": {}}},
    {"id": 9, "send": {"data": {}}},
    {"id": 10, "sub_refresh": {"channel": "123", "token": TOKEN}},
    {"id": 11, "subscribe": {"channel": "news", "recover": True, "offset": 5, "epoch": "e", "token": TOKEN_ROOMS}},
    {"id": 12, "unsubscribe": {"channel": "123"}},
    {"id": 13, "connect": {}},
]
enc = [json.dumps(c, separators=(",", ":")).encode() for c in cmds]
write(T, "commandsAfterConnect", "every-command", b"\0".join(enc))
write(T, "commandsAfterConnect", "several-commands-per-frame", b"\n".join(enc[:5]) + b"\0{}\n{}")
write(T, "commandsAfterConnect", "ping", b"{}")
write(T, "commandsAfterConnect", "not-json", b'{"id":2,"subscribe":{"channel":' + b"\0\xc3\x28")
write(T, "commandsAfterConnect", "deep-nesting", b'{"id":2,"publish":{"channel":"123","data":' + b"[" * 2000 + b"}}")
write(T, "commandsAfterConnect", "big-id", b'{"id":18446744073709551616,"subscribe":{"channel":"1"}}')

# UpgradedSessionFuzzTest.frames: flag byte (bit 0: /sub, bit 1: raw), then b0 + u16 length + payload
def ws(flag, *frames):
    out = bytes([flag])
    for b0, p in frames:
        out += bytes([b0]) + struct.pack(">H", len(p)) + p
    return out


TEXT, BIN, CONT, CLOSE, PING, PONG, FIN = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA, 0x80
connect = json.dumps({"id": 1, "connect": {"token": TOKEN}}, separators=(",", ":")).encode()
T = "pipeline/UpgradedSessionFuzzTest"
write(T, "frames", "centrifuge-connect-subscribe", ws(0, (FIN | TEXT, connect), (FIN | TEXT, enc[0]), (FIN | TEXT, enc[1])))
write(T, "frames", "centrifuge-fragmented", ws(0, (FIN | TEXT, connect), (TEXT, enc[0][:7]), (PING, b"p"),
                                               (CONT, enc[0][7:12]), (FIN | CONT, enc[0][12:])))
write(T, "frames", "centrifuge-close", ws(0, (FIN | TEXT, connect), (FIN | CLOSE, struct.pack(">H", 1000) + b"bye")))
write(T, "frames", "centrifuge-pong-binary", ws(0, (FIN | PONG, b""), (FIN | BIN, connect)))
write(T, "frames", "bilibili-auth-heartbeat", ws(1, (FIN | BIN, auth()), (FIN | BIN, HEARTBEAT), (FIN | PING, b"")))
write(T, "frames", "bilibili-fragmented-auth", ws(1, (BIN, auth()[:20]), (FIN | CONT, auth()[20:]), (FIN | BIN, HEARTBEAT)))
write(T, "frames", "rsv-and-reserved-opcode", ws(0, (FIN | 0x40 | TEXT, connect), (FIN | 0x3, b"")))
write(T, "frames", "raw-unmasked", bytes([2]) + bytes([FIN | TEXT, len(connect)]) + connect)
write(T, "frames", "raw-64bit-length", bytes([3]) + bytes([FIN | BIN, 0x80 | 127]) + struct.pack(">Q", 1 << 62) + b"mask")

# TokenVerifierFuzzTest.verify: mode byte (even: the token as text; odd: header \0 payload, signed by the test)
T = "TokenVerifierFuzzTest"
write(T, "verify", "valid", b"\0" + TOKEN.encode())
write(T, "verify", "valid-rooms-info", b"\0" + TOKEN_ROOMS.encode())
write(T, "verify", "alg-none", b"\0" + (b64(b'{"alg":"none"}') + "." + b64(b'{"sub":"1"}') + ".").encode())
write(T, "verify", "wrong-key", b"\0" + TOKEN.encode()[:-4] + b"AAAA")
write(T, "verify", "rs256-header", b"\0" + jwt({"sub": "1"}, {"alg": "RS256"}).encode())
hdr = b'{"alg":"HS256","typ":"JWT"}'
for name, claims in [("signed-rooms-array", b'{"sub":"7","rooms":["a",1]}'),
                     ("signed-rooms-null-element", b'{"sub":"7","rooms":["a",1,null]}'),
                     ("signed-rooms-string", b'{"sub":"7","rooms":"a"}'),
                     ("signed-info-name", b'{"sub":"7","info":{"name":["x"]}}'),
                     ("signed-expired", b'{"sub":"7","exp":1}'),
                     ("signed-times", b'{"sub":"7","exp":1e300,"nbf":-1,"iat":"x"}'),
                     ("signed-no-sub", b'{"name":"x"}'),
                     ("signed-aud-iss", b'{"sub":"7","aud":["a",{}],"iss":5}')]:
    write(T, "verify", name, b"\1" + hdr + b"\0" + claims)
