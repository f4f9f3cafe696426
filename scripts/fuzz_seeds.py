#!/usr/bin/env python3
"""Seed the fuzz corpora: turn the SigV4 vectors and wire captures in ../shared/vectors
and this repository's scenario and world files into inputs of each fuzz target.

    python3 scripts/fuzz_seeds.py CORPUS_DIR SHARED_VECTORS_DIR|-

Writes CORPUS_DIR/<target>/<sha1 of the input>, the way libFuzzer names corpus
entries, so running it again adds nothing twice. Nothing is written into the
repository's tracked files. With `-` (or a missing folder) only the repository's own
files are used. Prints one line per target: how many distinct seeds it has.
"""

import hashlib
import json
import pathlib
import struct
import sys
import tomllib

REPO = pathlib.Path(__file__).resolve().parent.parent

# Payload modes as the aws_chunked target's header byte encodes them (bits 0-1).
MODES = {
    b"STREAMING-UNSIGNED-PAYLOAD-TRAILER": 0,
    b"STREAMING-AWS4-HMAC-SHA256-PAYLOAD": 1,
    b"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": 2,
}


class Corpus:
    def __init__(self, root: pathlib.Path):
        self.root = root
        self.seen: dict[str, set[str]] = {}

    def add(self, target: str, data: bytes) -> None:
        folder = self.root / target
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()
        path = folder / name
        if not path.exists():
            path.write_bytes(data)
        self.seen.setdefault(target, set()).add(name)


def split_request(raw: bytes) -> tuple[bytes, dict[bytes, bytes], bytes]:
    """The head, its headers (lowercase names, last wins) and the body, HTTP chunking removed."""
    sep = raw.find(b"\r\n\r\n")
    head, body = (raw, b"") if sep < 0 else (raw[:sep], raw[sep + 4 :])
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = dechunk(body)
    return head, headers, body


def dechunk(wire: bytes) -> bytes:
    out = b""
    while True:
        line, sep, wire = wire.partition(b"\r\n")
        if not sep:
            return out
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return out
        out += wire[:size]
        wire = wire[size + 2 :]


def chunked_seed(headers: dict[bytes, bytes], body: bytes) -> bytes | None:
    """The aws_chunked target's input for an aws-chunked body, or None."""
    mode = MODES.get(headers.get(b"x-amz-content-sha256", b""))
    if mode is None:
        return None
    flags = mode
    if headers.get(b"x-amz-trailer", b"").lower() == b"x-amz-checksum-crc32":
        flags |= 0b100
    decoded = headers.get(b"x-amz-decoded-content-length")
    length = 0
    if decoded is not None and decoded.isdigit() and int(decoded) < 2**32:
        flags |= 0b1000
        length = int(decoded)
    return struct.pack("<BII", flags, length, 0x9E3779B9) + body


def shared_seeds(corpus: Corpus, vectors: pathlib.Path) -> None:
    # Wire captures of real clients: whole requests, presigned URLs, bodies.
    for path in sorted((vectors / "wire").rglob("*.http")):
        raw = path.read_bytes()
        corpus.add("sigv4_header", raw)
        _, headers, body = split_request(raw)
        seed = chunked_seed(headers, body)
        if seed is not None:
            corpus.add("aws_chunked", seed)
        if path.name.startswith("sts-"):
            corpus.add("sts_form", body)
    for path in sorted((vectors / "wire").rglob("*.url")):
        corpus.add("presigned_query", path.read_bytes().strip())

    # The SigV4 suites: unsigned, header-signed and presigned requests.
    sigv4 = vectors / "sigv4"
    for name in ("request.txt", "header-signed-request.txt", "query-signed-request.txt"):
        for path in sorted(sigv4.rglob(name)):
            if "/v4a/" in path.as_posix():
                continue
            raw = path.read_bytes()
            corpus.add("sigv4_header", raw)
            if name == "query-signed-request.txt":
                line = raw.split(b"\n", 1)[0].rstrip(b"\r")
                target = line.split(b" ", 1)[-1].rsplit(b" ", 1)[0]
                corpus.add("presigned_query", target)
    for path in sorted((sigv4 / "botocore").rglob("*")):
        if path.suffix in (".req", ".sreq"):
            corpus.add("sigv4_header", path.read_bytes())

    # The S3 documentation's worked examples.
    docs = sigv4 / "aws-docs-s3" / "s3-doc-examples.json"
    if docs.is_file():
        examples = json.loads(docs.read_text())
        for case in examples.get("header_auth", []) + examples.get("chunked", []):
            target = case["path"] + ("?" + case["query"] if case.get("query") else "")
            lines = [f"{case['method']} {target} HTTP/1.1"]
            lines += [f"{n}: {v}" for n, v in case.get("headers", [])]
            body = case.get("body", {}).get("utf8", "")
            corpus.add("sigv4_header", ("\r\n".join(lines) + "\r\n\r\n" + body).encode())
        for case in examples.get("presigned", []):
            corpus.add("presigned_query", case["url"].encode())

    # smithy-rs's recorded aws-chunked PutObject traffic.
    for path in sorted((sigv4 / "smithy-rs-s3-aws-chunked").glob("*.json")):
        events = json.loads(path.read_text()).get("events", [])
        request, body = None, b""
        for event in events:
            action = event.get("action", {})
            if "Request" in action and request is None:
                request = action["Request"]["request"]
            data = action.get("Data", {}).get("data", {})
            if "Utf8" in data and action["Data"].get("direction", "Request") == "Request":
                body += data["Utf8"].encode()
        if request is None:
            continue
        headers = {n.encode(): v[0].encode() for n, v in request["headers"].items() if v}
        uri = request["uri"]
        host, _, target = uri.split("://", 1)[-1].partition("/")
        head = [f"{request['method']} /{target} HTTP/1.1", f"host: {host}"]
        head += [f"{n.decode()}: {v.decode()}" for n, v in headers.items()]
        corpus.add("sigv4_header", ("\r\n".join(head) + "\r\n\r\n").encode() + body)
        seed = chunked_seed(headers, body)
        if seed is not None:
            corpus.add("aws_chunked", seed)


def policies(value, out: list[str]) -> None:
    """Every string in a parsed TOML document that looks like a JSON object."""
    if isinstance(value, dict):
        for v in value.values():
            policies(v, out)
    elif isinstance(value, list):
        for v in value:
            policies(v, out)
    elif isinstance(value, str) and value.lstrip().startswith("{"):
        out.append(value)


def world_of_scenario(text: str) -> str | None:
    """A scenario's `[world]` tables rewritten as a world file, or None."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("["):
            header = stripped.strip("[]").strip()
            if header == "world":
                inside = True
                continue
            if header.startswith("world."):
                inside = True
                line = line.replace("world.", "", 1)
            else:
                inside = False
        if inside:
            out.append(line)
    return "".join(out) if out else None


def repo_seeds(corpus: Corpus) -> None:
    scenario_files = sorted(REPO.glob("scenarios/**/*.toml")) + sorted(REPO.glob("harness/gaps/*.toml"))
    world_files = sorted(REPO.glob("scripts/worlds/*.toml"))
    for path in scenario_files:
        text = path.read_text()
        corpus.add("scenario_toml", text.encode())
        world = world_of_scenario(text)
        if world is not None:
            corpus.add("world_toml", world.encode())
    for path in world_files:
        corpus.add("world_toml", path.read_bytes())
    for path in scenario_files + world_files + sorted(REPO.glob("harness/examples/**/*.toml")):
        try:
            document = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError:
            continue
        found: list[str] = []
        policies(document, found)
        for policy in found:
            corpus.add("policy_json", policy.encode())


# Well-formed request bodies of each XML kind the emulator reads.
XML_SEEDS = [
    b'<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"9b2cf535f27731c974343645a3985328"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><ETag>"aa"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>',
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a &amp; b</Key></Object><Object><Key>v</Key><VersionId>v1</VersionId></Object></Delete>',
    b'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>',
    b'<Delete><Object><Key><![CDATA[cdata key]]></Key></Object></Delete>',
]


# Web identity tokens' claims (signed by the target with the fixture provider's key),
# a token of the right shape signed by nobody, and an AssumeRoleWithWebIdentity form.
def _b64(raw: bytes) -> bytes:
    import base64
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


WEB_IDENTITY_SEEDS = [
    b'{"iss":"https://token.actions.githubusercontent.com","sub":"repo:a/b:ref:refs/heads/main","aud":"sts.amazonaws.com","exp":1767229200}',
    b'{"iss":"https://token.actions.githubusercontent.com","aud":["x","sts.amazonaws.com"],"nbf":1767225600.5,"exp":1767229200,"amr":["a"]}',
    b'{"iss":"https://accounts.google.com","sub":"1","azp":"1","aud":"push-to-warehouse","exp":1767229200}',
    _b64(b'{"alg":"RS256","kid":"r","typ":"JWT"}') + b"." + _b64(b'{"iss":"https://token.actions.githubusercontent.com","exp":1767229200}') + b"." + _b64(b"\0" * 256),
]
STS_WEB_IDENTITY_FORM = (
    b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Fr"
    b"&RoleSessionName=s&WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.e30.AAAA&DurationSeconds=3600"
)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    corpus = Corpus(pathlib.Path(sys.argv[1]))
    for body in XML_SEEDS:
        corpus.add("xml_body", body)
    for seed in WEB_IDENTITY_SEEDS:
        corpus.add("web_identity_token", seed)
    corpus.add("sts_form", STS_WEB_IDENTITY_FORM)
    vectors = pathlib.Path(sys.argv[2])
    if sys.argv[2] != "-" and vectors.is_dir():
        shared_seeds(corpus, vectors)
    repo_seeds(corpus)
    for target, names in sorted(corpus.seen.items()):
        print(f"seeds: {target}: {len(names)} distinct inputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
