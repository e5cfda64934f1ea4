"""A MongoDB wire-protocol server for the tests: MockupDB (Debian's python3-mockupdb), the server
MongoDB tests its own drivers against. Run with Debian's /usr/bin/python3; driven by
test/support/mockupdb.ts.

Prints `port <n>` once it listens on a free loopback port, then reads one order a line on stdin,
and answers `ok` once it holds:
  <command> pass               answer the command {ok: 1}
  <command> error <errmsg...>  answer {ok: 0, code: 8000, errmsg}
  <command> hang               never answer it (the connection stays open)
  stop                         stop serving and exit (so does the end of stdin)

Every other command is answered as a mongod would, well enough for the Node driver and Mongoose:
the handshake, `endSessions` (which a client that closes sends, expecting no answer), cursors for
`find`, `aggregate`, `listCollections` and `listIndexes`, `{ok: 1}` for the rest.
"""

import sys

from bson.int64 import Int64
from mockupdb import OP_MSG_FLAGS, MockupDB, OpMsg

# MongoDB 7.0's wire version: the Node driver 6 and 7 refuse a server that does not state one.
HELLO = {
    "ismaster": True,
    "isWritablePrimary": True,
    "minWireVersion": 0,
    "maxWireVersion": 21,
    "maxBsonObjectSize": 16777216,
    "maxMessageSizeBytes": 48000000,
    "maxWriteBatchSize": 100000,
    # Sessions supported, as on a real mongod: a client that closes sends endSessions.
    "logicalSessionTimeoutMinutes": 30,
}

CURSOR_COMMANDS = {"find", "aggregate", "listcollections", "listindexes"}
FIRST_BATCH = [{"_id": 1, "name": "first"}]

behaviours = {}


def respond(request):
    name = (request.command_name or "").lower()
    # Sent expecting no answer (endSessions, with w: 0): answering would break the protocol.
    if isinstance(request, OpMsg) and request.flags & OP_MSG_FLAGS["moreToCome"]:
        return True
    if name in ("ismaster", "hello"):
        return request.replies(HELLO)
    behaviour = behaviours.get(name)
    if behaviour is not None:
        kind, errmsg = behaviour
        if kind == "hang":
            return True
        if kind == "error":
            return request.command_err(code=8000, errmsg=errmsg)
        return request.replies({"ok": 1})
    if name in CURSOR_COMMANDS:
        namespace = "%s.%s" % (request.doc.get("$db", "test"), request.doc.get(request.command_name))
        batch = FIRST_BATCH if name == "find" else []
        return request.replies({"cursor": {"id": Int64(0), "ns": namespace, "firstBatch": batch}})
    return request.replies({"ok": 1})


def main():
    server = MockupDB(port=None, request_timeout=int(1e6))
    server.autoresponds(respond)
    port = server.run()
    print("port %d" % port, flush=True)
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "stop":
                break
            command, kind = words[0].lower(), words[1]
            behaviours[command] = (kind, " ".join(words[2:]) or "MockupDB command failure")
            print("ok", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
