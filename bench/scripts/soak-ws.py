#!/usr/bin/env python3
"""WebSocket subscribers for bench/scripts/soak.sh: N connections to ws://127.0.0.1:PORT/ws, each
authenticated with a fresh access token (POST /api/auth/login with EMAIL and PASSWORD), subscribed
to CHANNEL (the conversation the soak's chats go to), answering pings, counting events, until
killed (SIGTERM) or the deadline. An access token lives 15 minutes: a close 4001 (expired) is
expected then, and the subscriber logs in again and resubscribes, as the web client does; any
other close is unexpected. Prints one RESULT line with the close codes seen. All subscribers are
one user, the owner of the conversation they watch, so at most 32 (the per-user connection cap,
close 4029); soak.sh refuses more."""
import base64, collections, json, os, signal, socket, struct, sys, threading, time, urllib.request

port, email, password, channel, count, seconds = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
    sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
events = 0; closes = 0; connected = 0; renewals = 0; lock = threading.Lock(); stop = time.time() + seconds
codes = collections.Counter()

def login():
    req = urllib.request.Request("http://127.0.0.1:%d/api/auth/login" % port,
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=60))["access_token"]

def frame(payload):
    b = payload.encode(); mask = os.urandom(4)
    head = bytes([0x81]) + (bytes([0x80 | len(b)]) if len(b) < 126 else bytes([0x80 | 126]) + struct.pack(">H", len(b)))
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(b))

def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk: raise EOFError
        buf += chunk
    return buf

def client():
    global renewals
    while time.time() < stop:
        code = session()
        if code != 4001:
            return
        with lock: renewals += 1

def session():
    global events, closes, connected
    token = login()
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(60)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n" % key).encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"): head += read_exact(s, 1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        with lock: closes += 1; codes["handshake"] += 1
        return None
    s.sendall(frame(json.dumps({"type": "connect", "token": token})))
    s.sendall(frame(json.dumps({"type": "subscribe", "channel": channel})))
    with lock: connected += 1
    try:
        while time.time() < stop:
            b0, b1 = read_exact(s, 2)
            n = b1 & 0x7F
            if n == 126: n = struct.unpack(">H", read_exact(s, 2))[0]
            elif n == 127: n = struct.unpack(">Q", read_exact(s, 8))[0]
            data = read_exact(s, n)
            if b0 & 0x0F == 0x8:
                code = struct.unpack(">H", data[:2])[0] if len(data) >= 2 else 1005
                with lock:
                    codes[code] += 1
                    if code != 4001: closes += 1
                return code
            msg = json.loads(data)
            if msg.get("type") == "ping": s.sendall(frame('{"type":"pong"}'))
            elif msg.get("type") == "event":
                with lock: events += 1
    except socket.timeout:
        pass
    except Exception as e:
        if time.time() < stop:
            with lock: closes += 1; codes[type(e).__name__] += 1
    return None

def report(*_):
    print("RESULT ws_connected=%d ws_events=%d ws_unexpected_closes=%d ws_renewals_after_4001=%d closes=%s"
          % (connected, events, closes, renewals, dict(codes)), flush=True)
    os._exit(0)

signal.signal(signal.SIGTERM, report)
threads = [threading.Thread(target=client, daemon=True) for _ in range(count)]
# staggered: at most 16 connections of one address may be unauthenticated at once (close 4030)
for t in threads: t.start(); time.sleep(0.2)
for t in threads: t.join(max(0, stop - time.time()) + 1)
report()
