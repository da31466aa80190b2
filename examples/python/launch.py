#!/usr/bin/env python3
"""Launch a template on a launcher server and follow it to the end, in plain Python.

    python3 launch.py SERVER_URL TEMPLATE      e.g. python3 launch.py http://127.0.0.1:3000 scratchpad

Needs Python 3.9+ and `websockets` (Debian: apt-get install python3-websockets); HTTP is the
standard library's. Progress goes to stderr; the last line on stdout is the final snapshot as
JSON: for `ready` it carries `access` (the URL and the credentials), exit 0. A launch that ends
`failed` is destroyed and the script exits 1; a refused call exits 1 with the server's reason.

The wire protocol it speaks is described in docs/protocol.md.
"""

import asyncio
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    import websockets
except ImportError:
    sys.exit("launch.py needs websockets: apt-get install python3-websockets (or pip install websockets)")

TERMINAL = {"ready", "failed", "destroyed"}
GIVE_UP_AFTER = 30.0  # seconds without reaching the server before giving up
SUBSCRIPTION_ID = 1


class LauncherError(Exception):
    """An error the server answered with: `{ code, message, data: { code, httpStatus, ... } }`."""

    def __init__(self, error):
        data = error.get("data") or {}
        super().__init__(error.get("message", "error"))
        self.code = data.get("code", "UNKNOWN")
        self.data = data

    def __str__(self):
        detail = ""
        if "tokenCode" in self.data:
            detail = f" (ticket: {self.data['tokenCode']})"
        return f"{self.code}: {self.args[0]}{detail}"


def call(server, path, body):
    """A tRPC mutation over HTTP: POST /trpc/<path> with the input as the JSON body."""
    request = urllib.request.Request(
        f"{server}/trpc/{path}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["result"]["data"]
    except urllib.error.HTTPError as error:
        raise LauncherError(json.load(error)["error"]) from None


def websocket_url(server):
    url = urllib.parse.urlsplit(server)
    scheme = "wss" if url.scheme == "https" else "ws"
    return urllib.parse.urlunsplit((scheme, url.netloc, url.path.rstrip("/") + "/trpc", "", ""))


def show(snapshot):
    running = [step["label"] for step in snapshot["steps"] if step["state"] == "running"]
    print(snapshot["phase"] + (f" — {running[0]}" if running else ""), file=sys.stderr, flush=True)


async def follow_once(server, ticket, last_event_id, on_event):
    """One connection: subscribe, hand each event to `on_event`, return how it ended:
    `("terminal", snapshot)`, or `("reconnect", None)` when the server asked us to or closed."""
    async with websockets.connect(websocket_url(server), open_timeout=10, max_size=2**20) as ws:
        follow_input = {"ticket": ticket}
        if last_event_id is not None:
            follow_input["lastEventId"] = last_event_id  # resume: only newer snapshots come
        await ws.send(json.dumps({
            "id": SUBSCRIPTION_ID,
            "method": "subscription",
            "params": {"path": "launch.follow", "input": follow_input},
        }))
        terminal = None
        async for frame in ws:
            if frame == "PING":  # the server's keep-alive: answer within 5 s or be dropped
                await ws.send("PONG")
                continue
            message = json.loads(frame)
            if message.get("method") == "reconnect":  # the server is going away
                return ("reconnect", None)
            if message.get("id") != SUBSCRIPTION_ID:
                continue
            if "error" in message:
                raise LauncherError(message["error"])
            result = message["result"]
            if result["type"] == "data":
                # A tracked event: result.id is the event id, result.data.data the snapshot.
                snapshot = result["data"]["data"]
                on_event(result["id"], snapshot)
                if snapshot["phase"] in TERMINAL:
                    terminal = snapshot
            elif result["type"] == "stopped":
                if terminal is not None:
                    return ("terminal", terminal)
                return ("reconnect", None)
        return ("reconnect", None)


async def follow(server, ticket):
    """Follows a launch to a terminal snapshot, reconnecting (with lastEventId) when the
    connection drops or the server asks to; gives up after GIVE_UP_AFTER s out of reach."""
    state = {"last_event_id": None, "last_contact": time.monotonic()}

    def on_event(event_id, snapshot):
        state["last_event_id"] = event_id
        state["last_contact"] = time.monotonic()
        show(snapshot)

    attempt = 0
    while True:
        try:
            outcome, snapshot = await follow_once(server, ticket, state["last_event_id"], on_event)
            if outcome == "terminal":
                return snapshot
            state["last_contact"] = time.monotonic()
        except LauncherError as error:
            if error.code not in ("TOO_MANY_REQUESTS", "SERVICE_UNAVAILABLE"):
                raise
            await asyncio.sleep(error.data.get("retryAfter", 1))
            continue
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as error:
            if time.monotonic() - state["last_contact"] > GIVE_UP_AFTER:
                raise LauncherError({"message": f"the server is out of reach ({error})",
                                     "data": {"code": "UNREACHABLE"}}) from None
        attempt += 1
        print("reconnecting…", file=sys.stderr, flush=True)
        await asyncio.sleep(min(0.25 * 2 ** attempt, 5.0))


def main(argv):
    if len(argv) != 3:
        print("usage: launch.py SERVER_URL TEMPLATE", file=sys.stderr)
        return 2
    server, template = argv[1].rstrip("/"), argv[2]
    try:
        prepared = call(server, "launch.prepare", {"template": template})
        # The ticket is the only key to this launch: a real app keeps it before following.
        snapshot = asyncio.run(follow(server, prepared["ticket"]))
        if snapshot["phase"] == "failed":
            call(server, "launch.destroy", {"ticket": prepared["ticket"]})
    except LauncherError as error:
        print(f"launch.py: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"launch.py: cannot reach {server}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(snapshot))
    return 0 if snapshot["phase"] == "ready" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
