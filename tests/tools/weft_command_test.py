#!/usr/bin/env python3
"""End-to-end tests of the `weft` command (docs/weft-command.md).

usage: weft_command_test.py WEFT_BINARY   (or WEFT_BIN=... in the environment)

Python 3 standard library only. Prints one line per case and a final
"N passed, N failed"; exits non-zero if any case failed.
"""

import json
import shutil
import os
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

WEFT = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WEFT_BIN", "")
TIMEOUT = 20  # per command, seconds: a hang fails the case instead of the suite

SUBCOMMANDS = ["init", "append", "cat", "tail", "sync", "serve", "connect", "verify",
               "digest", "stats", "token"]


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def run(*args, stdin=None, cwd=None):
    """Runs weft ARGS; returns (exit code, stdout, stderr)."""
    p = subprocess.run([WEFT, *args], input=stdin, capture_output=True, text=True, cwd=cwd,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def ok(*args, **kw):
    rc, out, err = run(*args, **kw)
    check(rc == 0, f"weft {' '.join(args)}: exit {rc}, stderr: {err.strip()}")
    return out


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def digest(db):
    return ok("digest", db).strip()


def new_log(tmp, name, *payloads):
    db = os.path.join(tmp, name)
    ok("init", db)
    if payloads:
        ok("append", db, *payloads)
    return db


def token(db, scope, *extra):
    return ok("token", "issue", db, "--scope", scope, *extra).strip()


def payloads(db):
    return sorted(op.get("payload", op.get("payload_hex")) for op in json_lines(ok("cat", db)))


class Server:
    """`weft serve --listen 127.0.0.1:0`: the port is read from its stderr."""

    def __init__(self, db, *extra):
        self.proc = subprocess.Popen([WEFT, "serve", "--log", db, "--listen", "127.0.0.1:0", *extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []
        deadline = time.monotonic() + TIMEOUT
        self.port = None
        while self.port is None:
            line = self.proc.stderr.readline()
            check(line or time.monotonic() < deadline, "serve printed no listening line")
            check(line, f"serve exited early: {''.join(self.lines)}")
            self.lines.append(line)
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
        # Keep draining stderr so the server never blocks on a full pipe.
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self):
        for line in self.proc.stderr:
            self.lines.append(line)

    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=TIMEOUT)
        self.reader.join(timeout=TIMEOUT)
        return rc


# ---------------------------------------------------------------- cases

def case_help(tmp):
    out = ok("--help")
    for code in ("0", "1", "2", "3", "4"):
        check(re.search(rf"^\s+{code}\s", out, re.M), f"weft --help lacks exit code {code}")
    for sub in SUBCOMMANDS:
        rc, out, _ = run(sub, "--help")
        check(rc == 0 and "usage: weft " + sub in out, f"weft {sub} --help: exit {rc}")
    rc, out, _ = run("token", "issue", "--help")
    check(rc == 0 and "usage:" in out, "weft token issue --help")
    rc, out, _ = run("help", "sync")
    check(rc == 0 and "usage: weft sync" in out, "weft help sync")


def case_usage_errors(tmp):
    db = new_log(tmp, "u.db")
    for args in (
        [],
        ["frobnicate"],
        ["init"],
        ["cat", db, "--bogus"],
        ["cat", db, "--limit", "ten"],
        ["cat", db, "--from", "0"],
        ["append", db, "--kind", "-1"],
        ["append", db, "--kind"],
        ["sync", db],
        ["init", os.path.join(tmp, "u2.db"), "--actor", "xyz"],
        ["token", "issue", db],
        ["token", "issue", db, "--scope", "root"],
        ["token", "frob", db],
        ["serve"],
        ["serve", "--log", db, "--listen", "nonsense"],
        ["connect", db, "--token", "00", "--id", "u"],
        ["connect", db, "--token", "00", "--tcp", "127.0.0.1:1"],
        ["connect", db, "--token", "zz", "--id", "u", "--tcp", "127.0.0.1:1"],
        ["connect", db, "--id", "u", "--tcp", "127.0.0.1:1", "--", "true"],
        ["verify", db, "extra"],
    ):
        rc, _, err = run(*args)
        check(rc == 2, f"weft {' '.join(args)}: expected exit 2, got {rc} ({err.strip()})")
        check(err.strip(), f"weft {' '.join(args)}: no message on stderr")
    rc, _, err = run("serve", "--log", db, "--listen", "0.0.0.0:0")
    check(rc == 2 and "loopback" in err, f"serve on 0.0.0.0: exit {rc}, {err.strip()}")


def case_missing_file(tmp):
    missing = os.path.join(tmp, "nope.db")
    for args in (["cat", missing], ["append", missing, "x"], ["verify", missing],
                 ["digest", missing], ["stats", missing], ["tail", missing],
                 ["token", "issue", missing, "--scope", "read"], ["token", "revoke", missing],
                 ["serve", "--log", missing], ["sync", missing, missing + "2"],
                 ["connect", missing, "--token", "00", "--id", "x", "--tcp", "127.0.0.1:1"]):
        rc, _, err = run(*args)
        check(rc == 1, f"weft {' '.join(args)}: expected exit 1, got {rc} ({err.strip()})")
        check("NOT_FOUND" in err and missing in err, f"weft {args[0]}: message {err.strip()!r}")
        check(not os.path.exists(missing), f"weft {args[0]} created {missing}")
    db = new_log(tmp, "m.db")
    rc, _, err = run("init", db)
    check(rc == 1 and "already exists" in err, f"init over an existing file: {rc} {err.strip()}")
    os.unlink(db + ".key")
    rc, _, err = run("token", "issue", db, "--scope", "read")
    check(rc == 1 and ".key" in err, f"token issue without a key: {rc} {err.strip()}")


def case_init_append_cat(tmp):
    db = os.path.join(tmp, "a.db")
    actor = "00112233445566778899aabbccddeeff"
    info = json.loads(ok("init", db, "--actor", actor, "--json"))
    check(info["actor"] == actor and info["key_created"] is True, f"init --json: {info}")
    key = db + ".key"
    check(os.path.getsize(key) == 32, "the key file is not 32 bytes")
    check(os.stat(key).st_mode & 0o777 == 0o600, "the key file is not mode 0600")

    ids = json_lines(ok("append", db, "--kind", "7", "--json", "hello", "wörld"))
    check([i["id"] for i in ids] == [f"{actor}:1", f"{actor}:2"], f"append ids: {ids}")
    check([i["cursor"] for i in ids] == [1, 2], f"append cursors: {ids}")
    plain = ok("append", db, stdin="line one\n\nline three").splitlines()
    check(plain == [f"{actor}:{n}" for n in (3, 4, 5)], f"stdin append: {plain}")
    ok("append", db, "--", "-dash")

    ops = json_lines(ok("cat", db, "--json"))
    check(len(ops) == 6, f"cat: {len(ops)} ops")
    check([o["payload"] for o in ops] == ["hello", "wörld", "line one", "", "line three", "-dash"],
          f"cat payloads: {[o.get('payload') for o in ops]}")
    first = ops[0]
    for key_name in ("cursor", "id", "lamport", "kind", "timestamp_ms", "deps", "payload"):
        check(key_name in first, f"cat lacks {key_name}: {first}")
    check(first["kind"] == 7 and first["cursor"] == 1 and first["id"] == f"{actor}:1", f"{first}")
    check(ops[2]["kind"] == 0, "stdin ops keep the default kind")
    check(all(o["lamport"] == o["cursor"] for o in ops), "lamports of a lone writer")

    # A payload that is not UTF-8 comes out as hex (and only as hex).
    with open(os.path.join(tmp, "bin.txt"), "wb") as f:
        f.write(b"\xff\xfe\x00\n")
    with open(os.path.join(tmp, "bin.txt"), "rb") as f:
        subprocess.run([WEFT, "append", db], stdin=f, check=True, capture_output=True,
                       timeout=TIMEOUT)
    last = json_lines(ok("cat", db, "--from", "7"))
    check(len(last) == 1 and last[0].get("payload_hex") == "fffe00" and "payload" not in last[0],
          f"binary payload: {last}")
    page = json_lines(ok("cat", db, "--from", "2", "--limit", "2"))
    check([o["cursor"] for o in page] == [2, 3], f"--from 2 --limit 2: {page}")


def case_sync(tmp):
    a = new_log(tmp, "sa.db", "a1", "a2", "a3")
    b = new_log(tmp, "sb.db", "b1")
    check(digest(a) != digest(b), "different logs, same digest")
    report = json.loads(ok("sync", a, b, "--json"))
    check(report["converged"] is True, f"sync --json: {report}")
    check(report["a"]["ops_sent"] == 3 and report["b"]["applied"] == 3, f"a->b: {report}")
    check(report["b"]["ops_sent"] == 1 and report["a"]["applied"] == 1, f"b->a: {report}")
    check(digest(a) == digest(b), "digests differ after sync")
    check(payloads(a) == payloads(b) == ["a1", "a2", "a3", "b1"], "payloads after sync")
    # Again: nothing to send, still equal.
    out = ok("sync", a, b)
    check("0 ops sent" in out and "converged" in out, f"second sync: {out}")
    check(digest(a) == digest(b), "digests differ after the second sync")


def case_verify_digest_stats(tmp):
    db = new_log(tmp, "v.db", "one", "two", "three")
    out = ok("verify", db)
    check(out.startswith("ok"), f"verify: {out}")
    v = json.loads(ok("verify", db, "--json"))
    check(v == {"ok": True, "ops": 3, "chunks": 0}, f"verify --json: {v}")
    d = json.loads(ok("digest", db, "--json"))
    check(re.fullmatch(r"[0-9a-f]{64}", d["digest"]) and d["digest"] == digest(db), f"digest: {d}")
    check(d["ops"] == 3 and d["cursor"] == 3, f"digest --json: {d}")
    s = json.loads(ok("stats", db, "--json"))
    check(s["cursor"] == 3 and s["ops"] == 3 and s["actors"] == 1 and s["epoch"] == 0, f"{s}")
    check(s["file_bytes"] > 0 and len(s["writers"]) == 1 and s["writers"][0]["ops"] == 3, f"{s}")
    check("cursor" in ok("stats", db), "stats text")

    # Change one stored payload behind the log's back: verify must notice.
    con = sqlite3.connect(db)
    con.execute("UPDATE ops SET payload = ? WHERE cursor = 2", (b"tampered",))
    con.commit()
    con.close()
    rc, out, err = run("verify", db, "--json")
    check(rc == 4, f"verify of a tampered log: exit {rc}, {err.strip()}")
    check("CORRUPT" in err and json.loads(out)["ok"] is False, f"verify report: {out} {err}")
    with open(os.path.join(tmp, "garbage.db"), "wb") as f:
        f.write(b"this is not a database" * 100)
    rc, _, err = run("verify", os.path.join(tmp, "garbage.db"))
    check(rc == 4, f"verify of a non-database: exit {rc}, {err.strip()}")


def case_stdio_serve_connect(tmp):
    srv = new_log(tmp, "hub.db", "s1", "s2")
    cli = new_log(tmp, "laptop.db", "c1")
    t = token(srv, "append")
    check(re.fullmatch(r"[0-9a-f]+", t), f"token is not hex: {t}")
    rc, out, err = run("connect", cli, "--token", t, "--id", "hub", "--json", "--",
                       WEFT, "serve", "--log", srv)
    check(rc == 0, f"connect over stdio: exit {rc}, {err.strip()}")
    r = json.loads(out)
    check(r["ok"] and r["push_accepted"] and r["ops_sent"] == 1 and r["applied"] == 2, f"{r}")
    check("weft serve: stdio: done" in err, f"the server's log: {err.strip()}")
    check(t not in err, "a token appeared in the logs")
    check(digest(srv) == digest(cli), "digests differ after connect over stdio")

    # The token from a file, and nothing left to do.
    tf = os.path.join(tmp, "token.txt")
    with open(tf, "w") as f:
        f.write(t + "\n")
    ok("connect", cli, "--token-file", tf, "--id", "hub", "--", WEFT, "serve", "--log", srv)

    # A token for another log id is refused.
    rc, _, err = run("connect", cli, "--token", t, "--id", "other", "--",
                     WEFT, "serve", "--log", srv)
    check(rc == 3 and "PERMISSION_DENIED" in err, f"wrong log id: exit {rc}, {err.strip()}")


def case_tcp_and_read_token(tmp):
    srv = new_log(tmp, "tcp.db", "server-op")
    cli = new_log(tmp, "tcpc.db", "client-op")
    server = Server(srv)
    try:
        read = token(srv, "read")
        rc, out, err = run("connect", cli, "--token", read, "--id", "tcp", "--tcp",
                           server.endpoint(), "--json")
        check(rc == 0, f"connect with a read token: exit {rc}, {err.strip()}")
        r = json.loads(out)
        check(r["push_accepted"] is False and r["applied"] == 1 and r["ops_sent"] == 0, f"{r}")
        check(payloads(cli) == ["client-op", "server-op"], "the server's op reached the client")
        check(payloads(srv) == ["server-op"], "a read token pushed the client's op")

        append = token(srv, "append")
        ok("append", cli, "later")
        r = json.loads(ok("connect", cli, "--token", append, "--id", "tcp", "--tcp",
                          server.endpoint(), "--json"))
        check(r["push_accepted"] is True and r["peer_applied"] == 2, f"append token: {r}")
        check(digest(srv) == digest(cli), "digests differ after connect over TCP")
    finally:
        rc = server.stop()
    log = "".join(server.lines)
    check(rc == 0, f"serve after SIGINT: exit {rc}")
    check(log.count(": done:") == 2 and "stopping" in log, f"server log: {log}")
    check(read not in log and append not in log, "a token appeared in the server's log")


def case_revoke(tmp):
    srv = new_log(tmp, "rv.db", "x")
    cli = new_log(tmp, "rvc.db")
    old = token(srv, "append")
    ok("connect", cli, "--token", old, "--id", "rv", "--", WEFT, "serve", "--log", srv)
    r = json.loads(ok("token", "revoke", srv, "--json"))
    check(r["epoch"] == 1, f"revoke: {r}")
    check(ok("token", "revoke", srv).strip() == "2", "second revoke")
    rc, _, err = run("connect", cli, "--token", old, "--id", "rv", "--",
                     WEFT, "serve", "--log", srv)
    check(rc == 3 and "STALE_EPOCH" in err, f"old token over stdio: exit {rc}, {err.strip()}")
    server = Server(srv)
    try:
        rc, _, err = run("connect", cli, "--token", old, "--id", "rv", "--tcp", server.endpoint())
        check(rc == 3 and "STALE_EPOCH" in err, f"old token over TCP: exit {rc}, {err.strip()}")
        fresh = json.loads(ok("token", "issue", srv, "--scope", "read", "--json"))
        check(fresh["epoch"] == 2, f"a fresh token's epoch: {fresh}")
        ok("connect", cli, "--token", fresh["token"], "--id", "rv", "--tcp", server.endpoint())
        # Revoked by another process while this server runs: refused at once,
        # for pulling too.
        ok("token", "revoke", srv)
        rc, _, err = run("connect", cli, "--token", fresh["token"], "--id", "rv", "--tcp",
                         server.endpoint())
        check(rc == 3 and "STALE_EPOCH" in err,
              f"token revoked under a running server: exit {rc}, {err.strip()}")
    finally:
        server.stop()


def case_frame_limit(tmp):
    cli = new_log(tmp, "fl.db")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def fake_server():
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)  # the client's Hello
            conn.sendall(struct.pack("<I", 300 << 20))  # a frame over 256 MiB
            time.sleep(0.2)

    th = threading.Thread(target=fake_server, daemon=True)
    th.start()
    rc, _, err = run("connect", cli, "--token", "00", "--id", "x", "--tcp", f"127.0.0.1:{port}")
    th.join(timeout=TIMEOUT)
    listener.close()
    check(rc == 3 and "256 MiB" in err, f"oversized frame: exit {rc}, {err.strip()}")
    rc, _, err = run("connect", cli, "--token", "00", "--id", "x", "--tcp", f"127.0.0.1:{port}")
    check(rc == 3, f"connection refused: exit {rc}, {err.strip()}")


def case_tail(tmp):
    db = new_log(tmp, "t.db", "first")
    p = subprocess.Popen([WEFT, "tail", db, "--interval-ms", "50"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        check(json.loads(line)["payload"] == "first", f"tail's first line: {line!r}")
        ok("append", db, "second")
        line = p.stdout.readline()
        check(json.loads(line)["payload"] == "second", f"tail missed a later op: {line!r}")
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=TIMEOUT)
    check(rc == 0, f"tail after SIGTERM: exit {rc}")


def case_empty_file_is_left_alone(tmp):
    """Read-only commands never write: an empty file stays empty and can be made a log."""
    db = os.path.join(tmp, "e.db")
    open(db, "w").close()
    for cmd in (["verify", db], ["digest", db], ["cat", db], ["stats", db]):
        rc, out, err = run(*cmd)
        check(rc != 0 and "NOT_FOUND" in err, f"weft {cmd[0]} on an empty file: {rc} {err!r}")
        check(err.count("\n") == 1, f"weft {cmd[0]}: more than one line: {err!r}")
        check(os.path.getsize(db) == 0, f"weft {cmd[0]} wrote to an empty file")
    ok("init", db)
    ok("append", db, "x")
    check(payloads(db) == ["x"], "init after a refused read did not make a log")


def case_copied_and_restored_replicas(tmp):
    """A copied or restored file mints under a fresh writer: every replica converges."""
    a = new_log(tmp, "a.db", *[f"a{i}" for i in range(5)])
    b = new_log(tmp, "b.db")
    ok("sync", a, b)
    backup = os.path.join(tmp, "backup.db")
    shutil.copyfile(a, backup)
    ok("append", a, *[f"a{i}" for i in range(5, 10)])
    ok("sync", a, b)
    shutil.copyfile(backup, a)  # restore: the fence beside a.db says 10, the file 5
    ok("append", a, "r0", "r1", "r2")
    ok("sync", a, b)
    check(digest(a) == digest(b), "restored replica did not converge")
    check(len(payloads(a)) == 13 and sorted(payloads(a)) == sorted(payloads(b)),
          f"ops lost or doubled after a restore: {payloads(a)}")
    c = os.path.join(tmp, "c.db")
    shutil.copyfile(a, c)  # a copy: no fence beside c.db
    ok("append", a, "a-only")
    ok("append", c, "c-only")
    ok("sync", a, c)
    ok("sync", c, b)
    ok("sync", a, b)
    check(digest(a) == digest(b) == digest(c), "copied replicas did not converge")
    check(len(payloads(a)) == 15 and sorted(payloads(a)) == sorted(payloads(c)),
          f"ops lost after a copy: {payloads(a)}")
    check(ok("verify", a).startswith("ok"), "verify after copies")


def case_diverged_writer_is_named(tmp):
    """A restore whose fence came back with it diverges: sync says CONFLICT naming the writer."""
    a = new_log(tmp, "a.db", "a0", "a1")
    b = new_log(tmp, "b.db")
    ok("sync", a, b)
    writer = json.loads(ok("stats", a, "--json"))["local_actor"]
    backup = os.path.join(tmp, "backup.db")
    shutil.copyfile(a, backup)
    shutil.copyfile(a + "-weft", backup + "-weft")
    ok("append", a, "a2", "a3")
    ok("sync", a, b)
    shutil.copyfile(backup, a)
    shutil.copyfile(backup + "-weft", a + "-weft")
    ok("append", a, "forked")  # nothing tells this restore apart: it reuses counter 3
    rc, out, err = run("sync", a, b)
    check(rc != 0 and "CONFLICT" in err and writer in err,
          f"sync of a diverged writer: exit {rc}, stderr {err!r}")
    check(err.count("\n") == 1, f"more than one line: {err!r}")
    new_writer = json.loads(ok("stats", a, "--json"))["local_actor"]
    check(new_writer != writer, "the diverged writer was not retired")


CASES = [case_help, case_usage_errors, case_missing_file, case_init_append_cat, case_sync,
         case_verify_digest_stats, case_stdio_serve_connect, case_tcp_and_read_token,
         case_revoke, case_frame_limit, case_tail, case_empty_file_is_left_alone,
         case_copied_and_restored_replicas, case_diverged_writer_is_named]


def main():
    if not WEFT or not os.access(WEFT, os.X_OK):
        print(f"usage: {sys.argv[0]} WEFT_BINARY (got {WEFT!r})")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    start = time.monotonic()
    for case in CASES:
        with tempfile.TemporaryDirectory(prefix="weft-cmd-") as tmp:
            t0 = time.monotonic()
            try:
                case(tmp)
                passed += 1
                print(f"ok   {case.__name__} ({time.monotonic() - t0:.2f}s)")
            except Exception as e:  # noqa: BLE001 - every failure is reported the same way
                failed += 1
                detail = str(e) if isinstance(e, Fail) else traceback.format_exc()
                print(f"FAIL {case.__name__}: {detail}")
            sys.stdout.flush()
    print(f"total {time.monotonic() - start:.2f}s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
