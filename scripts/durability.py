#!/usr/bin/env python3
"""Durability and race checks against `emulator serve`, through boto3.

Two kinds of round, each a pass or a failure:

- kill -9: serve with `--store dir:`, write and overwrite objects from several
  threads, SIGKILL the server at a random moment, restart it on the same
  directory, and check that every acknowledged write is there with its bytes
  (or a later attempt at the same key, whose answer the kill may have eaten),
  and that no body file is left that no object holds.
- race: 64 threads PUT the same new key with `If-None-Match: *` at once:
  exactly one gets 200, every other 412 (or 409 ConditionalRequestConflict),
  and the stored bytes are the winner's.

Prints what each round did, then `N passed, M failed`; exits non-zero on a failure.

Usage: scripts/durability.py [--kills N] [--races N] [--seed S] [--binary PATH]
  CI runs the defaults (3 and 3, about 15 s); `--kills 50 --races 50` for longer.
"""
import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORLD = os.path.join(ROOT, "scripts", "worlds", "clients.toml")
AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BUCKET = "customer-lake"
REGION = "eu-west-1"


class Server:
    """`emulator serve` on 127.0.0.1:0; endpoint and admin token from its stdout."""

    def __init__(self, binary, store, log):
        self.proc = subprocess.Popen(
            [binary, "serve", "--world", WORLD, "--store", store],
            stdout=subprocess.PIPE, stderr=log, text=True,
            env=dict(os.environ, RUST_LOG="warn"))
        self.endpoint = self.proc.stdout.readline().strip()
        token = self.proc.stdout.readline().strip()
        if not self.endpoint.startswith("http://127.0.0.1:") or not token.startswith("admin token: "):
            raise RuntimeError(f"emulator did not start: {self.endpoint!r} {token!r}")
        self.token = token.split(": ", 1)[1]

    def admin(self, path):
        req = urllib.request.Request(f"{self.endpoint}/_emulator/{path}",
                                     headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def client(endpoint):
    import boto3
    from botocore.config import Config
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=AKID, aws_secret_access_key=SECRET,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      connect_timeout=2, read_timeout=10, max_pool_connections=80))


def kill_round(binary, rng, n, workdir):
    """One kill -9 round; returns (ok, what happened)."""
    store = os.path.join(workdir, f"store-{n}")
    log = open(os.path.join(workdir, f"serve-{n}.log"), "w")
    server = Server(binary, f"dir:{store}", log)
    s3 = client(server.endpoint)
    attempts = {}   # key -> [md5 of each attempt, in order]
    acked = {}      # key -> index of the last acknowledged attempt
    lock = threading.Lock()
    stop = threading.Event()

    def writer(tid):
        wrng = random.Random(rng.random())
        i = 0
        while not stop.is_set():
            key = f"t{tid}/k{wrng.randrange(12)}"
            body = wrng.randbytes(wrng.choice([100, 4096, 70_000, 300_000]))
            digest = hashlib.md5(body).hexdigest()
            with lock:
                attempts.setdefault(key, []).append(digest)
                index = len(attempts[key]) - 1
            try:
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            except Exception:  # noqa: BLE001 - the kill makes requests fail; only acks count
                continue
            with lock:
                acked[key] = max(acked.get(key, -1), index)
            i += 1

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    time.sleep(rng.uniform(0.3, 1.2))
    server.kill9()
    stop.set()
    for t in threads:
        t.join()
    log.close()

    log = open(os.path.join(workdir, f"serve-{n}b.log"), "w")
    server = Server(binary, f"dir:{store}", log)
    try:
        s3 = client(server.endpoint)
        problems = []
        present = 0
        for key, index in acked.items():
            try:
                got = hashlib.md5(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).hexdigest()
            except Exception as e:  # noqa: BLE001 - reported below
                problems.append(f"{key}: acknowledged but unreadable: {e}")
                continue
            present += 1
            if got not in attempts[key][index:]:
                problems.append(f"{key}: holds bytes of no write at or after the acknowledged one")
        listed = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            listed.update(o["Key"] for o in page.get("Contents", []))
        bodies = sum(1 for _, _, files in os.walk(os.path.join(store, BUCKET)) for f in files if f.endswith(".data"))
        if bodies != len(listed):
            problems.append(f"{bodies} body files for {len(listed)} objects: orphans were left")
        writes = sum(len(v) for v in attempts.values())
        what = (f"{writes} writes, {len(acked)} keys acknowledged, {present} read back intact, "
                f"{bodies} body files for {len(listed)} objects")
        return (not problems, what + ("" if not problems else "; " + "; ".join(problems[:5])))
    finally:
        server.stop()
        log.close()
        shutil.rmtree(store, ignore_errors=True)


def race_round(server, s3, n):
    """64 conditional PUTs of one new key at once; returns (ok, what happened)."""
    key = f"race/{n}-{os.getpid()}"
    barrier = threading.Barrier(64)
    outcomes = [None] * 64

    def racer(i):
        body = f"racer {i}".encode()
        barrier.wait()
        try:
            s3.put_object(Bucket=BUCKET, Key=key, Body=body, IfNoneMatch="*")
            outcomes[i] = 200
        except Exception as e:  # noqa: BLE001 - the status is what is checked
            outcomes[i] = getattr(e, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", str(e))

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, o in enumerate(outcomes) if o == 200]
    losers = [o for o in outcomes if o in (409, 412)]
    other = [o for o in outcomes if o not in (200, 409, 412)]
    stored = server.admin(f"buckets/{BUCKET}/objects/{urllib.request.quote(key, safe='')}")
    ok = len(winners) == 1 and not other and stored == f"racer {winners[0]}".encode()
    what = f"{len(winners)} × 200, {len(losers)} × 412/409, {len(other)} other"
    if other:
        what += f" ({other[:3]})"
    return ok, what


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=3, help="kill -9 rounds (default 3)")
    ap.add_argument("--races", type=int, default=3, help="64-way If-None-Match races (default 3)")
    ap.add_argument("--seed", type=int, default=None, help="seed for the kill moments and bodies")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "debug", "emulator"))
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"durability: seed {seed}, {args.kills} kill -9 rounds, {args.races} races")
    results = []
    workdir = tempfile.mkdtemp(prefix="emulator-durability-")
    try:
        for n in range(args.kills):
            ok, what = kill_round(args.binary, rng, n, workdir)
            results.append(ok)
            print(f"{'ok    ' if ok else 'FAILED'}  kill -9 round {n + 1}: {what}")
        if args.races:
            log = open(os.path.join(workdir, "race.log"), "w")
            server = Server(args.binary, "memory", log)
            try:
                s3 = client(server.endpoint)
                for n in range(args.races):
                    ok, what = race_round(server, s3, n)
                    results.append(ok)
                    print(f"{'ok    ' if ok else 'FAILED'}  race {n + 1}: {what}")
            finally:
                server.stop()
                log.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
