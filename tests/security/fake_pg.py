#!/usr/bin/env python3
"""fake_pg.py -- a hostile PostgreSQL server for the security tests.

Listens on DIR/.s.PGSQL.PORT (Unix socket) and speaks just enough of the
protocol (v3) to play one of two parts:
  cleartext  asks every client for a cleartext password, writes what it
             receives to LOG (one line per client), then refuses the login
  hang       logs in anybody (AuthenticationOk, BackendKeyData,
             ReadyForQuery), never answers a query, and accepts cancel
             requests without ever closing them
Usage: fake_pg.py MODE DIR PORT LOG.  Runs until killed.

Must not: listen on TCP, or answer a query.
"""
import os
import socket
import struct
import sys
import threading

MODE, DIR, PORT, LOG = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
held = []                          # sockets kept open on purpose (hang mode)
log_lock = threading.Lock()


def log(line):
    with log_lock, open(LOG, "a") as f:
        f.write(line + "\n")


def recv_exact(c, n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def msg(kind, payload=b""):
    return kind + struct.pack("!I", len(payload) + 4) + payload


def serve(c):
    try:
        while True:
            (length,) = struct.unpack("!I", recv_exact(c, 4))
            body = recv_exact(c, length - 4)
            (code,) = struct.unpack("!I", body[:4])
            if code in (80877103, 80877104):        # SSLRequest, GSSENCRequest: no
                c.sendall(b"N")
                continue
            if code == 80877102:                    # CancelRequest
                log("cancel request")
                if MODE == "hang":
                    held.append(c)                  # never closed, never answered
                    return
                c.close()
                return
            break                                   # StartupMessage
        params = body[4:].split(b"\0")
        user = params[params.index(b"user") + 1].decode() if b"user" in params else ""
        if MODE == "cleartext":
            c.sendall(msg(b"R", struct.pack("!I", 3)))  # AuthenticationCleartextPassword
            kind = recv_exact(c, 1)
            (length,) = struct.unpack("!I", recv_exact(c, 4))
            pw = recv_exact(c, length - 4).rstrip(b"\0").decode(errors="replace")
            log("user=%s password=%s" % (user, pw))
            err = b"SFATAL\0C28P01\0Mpassword authentication failed\0\0"
            c.sendall(msg(b"E", err))
            c.close()
            return
        log("login user=%s" % user)
        c.sendall(msg(b"R", struct.pack("!I", 0)) + msg(b"K", struct.pack("!II", 4242, 99))
                  + msg(b"S", b"server_version\x0015.0\0") + msg(b"Z", b"I"))
        held.append(c)                              # read nothing more, answer nothing
    except (EOFError, OSError, ValueError, struct.error):
        try:
            c.close()
        except OSError:
            pass


def main():
    path = os.path.join(DIR, ".s.PGSQL." + PORT)
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, 0o777)
    s.listen(64)
    open(LOG, "a").close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
