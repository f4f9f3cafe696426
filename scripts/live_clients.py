#!/usr/bin/env python3
"""boto3 and the AWS CLI against a running emulator, with nothing but an endpoint URL.

Starts `emulator serve` on 127.0.0.1:0 with scripts/worlds/clients.toml, then drives
boto3 (default and when_required checksums; bytes and file bodies; put, head, get,
delete; presigned URLs; a caller-set Date header; paginators over delimiter pages; STS
AssumeRole and AssumeRoleWithWebIdentity) and the AWS CLI (s3api put-object, s3 cp,
delete-object, sts assume-role, assume-role-with-web-identity), checking every result through the client and the
emulator's admin API. Prints `N passed, M failed` and exits non-zero on any failure.

Then the same over `serve --tls`: boto3 with `verify=` the printed CA file, the AWS CLI
with AWS_CA_BUNDLE, a client that does not trust the CA (refused), plain HTTP on the
same port.

Usage: scripts/live_clients.py [PATH-TO-EMULATOR-BINARY]
"""
import json
import os
import subprocess
import sys
import tempfile
import traceback
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "emulator")
WORLD = os.path.join(ROOT, "scripts", "worlds", "clients.toml")
AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BUCKET = "customer-lake"
REGION = "eu-west-1"
BODY = b"Hello, SigV4 world!\n"
BIG = bytes(i % 256 for i in range(204800))
# Above boto3's and the AWS CLI's 8 MiB multipart threshold: three parts.
HUGE = bytes((i * 7) % 251 for i in range(20 * 1024 * 1024))

results = []


def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
            print(f"ok      {name}")
        except Exception as e:  # noqa: BLE001 - every failure is reported, none hidden
            results.append((name, e))
            print(f"FAILED  {name}: {e}")
            traceback.print_exc()
        return fn
    return wrap


ADMIN_TOKEN = {"value": None, "ssl": None}


def admin(endpoint, path):
    request = urllib.request.Request(f"{endpoint}/_emulator/{path}",
                                      headers={"Authorization": f"Bearer {ADMIN_TOKEN['value']}"})
    with urllib.request.urlopen(request, context=ADMIN_TOKEN["ssl"]) as r:
        return r.read()


def admin_post(endpoint, path, body):
    request = urllib.request.Request(f"{endpoint}/_emulator/{path}", data=json.dumps(body).encode(),
                                      headers={"Authorization": f"Bearer {ADMIN_TOKEN['value']}"}, method="POST")
    with urllib.request.urlopen(request, context=ADMIN_TOKEN["ssl"]) as r:
        return json.loads(r.read())


GCP_ROLE = "arn:aws:iam::111111111111:role/gcp-writer"
SA_CLAIMS = {"sub": "104455531234567890123", "azp": "104455531234567890123", "aud": "push-to-warehouse"}


def google_token(endpoint, claims=SA_CLAIMS):
    return admin_post(endpoint, "oidc/token", {"issuer": "https://accounts.google.com", "claims": claims})["token"]


def stored(endpoint, key):
    return admin(endpoint, f"buckets/{BUCKET}/objects/{urllib.request.quote(key, safe='')}")


def main():
    env = dict(os.environ, RUST_LOG="warn")
    proc = subprocess.Popen([BINARY, "serve", "--world", WORLD, "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, env=env, text=True)
    try:
        endpoint = proc.stdout.readline().strip()
        assert endpoint.startswith("http://127.0.0.1:"), endpoint
        token_line = proc.stdout.readline().strip()
        assert token_line.startswith("admin token: "), token_line
        ADMIN_TOKEN["value"] = token_line.split(": ", 1)[1]
        run(endpoint)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    with tempfile.TemporaryDirectory() as d:
        ca = os.path.join(d, "ca.pem")
        proc = subprocess.Popen([BINARY, "serve", "--world", WORLD, "--listen", "127.0.0.1:0", "--tls",
                                 "--ca-file", ca], stdout=subprocess.PIPE, env=env, text=True)
        try:
            endpoint = proc.stdout.readline().strip()
            assert endpoint.startswith("https://127.0.0.1:"), endpoint
            ADMIN_TOKEN["value"] = proc.stdout.readline().strip().split(": ", 1)[1]
            assert proc.stdout.readline().strip() == f"ca bundle: {ca}"
            run_tls(endpoint, ca)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    failed = sum(1 for _, e in results if e)
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def cli_env(**extra):
    """The AWS CLI's environment: the test user's key, the region, nothing else of the host's."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true", **extra)
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    return env


def cli(endpoint, env, timeout):
    """`aws --endpoint-url ENDPOINT ...` with `env`: its stdout, or an AssertionError with stderr."""
    def aws(*args, env=env):
        out = subprocess.run(["aws", "--endpoint-url", endpoint, *args], env=env,
                             capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)}: {out.returncode} {out.stderr}")
        return out.stdout
    return aws


def cli_round_trip(aws, endpoint, prefix):
    """20 MiB up with `aws s3 cp`, back down, copied within S3, then `s3 rm --recursive`."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "huge.bin")
        with open(src, "wb") as f:
            f.write(HUGE)
        aws("s3", "cp", src, f"s3://{BUCKET}/{prefix}a.bin")
        assert stored(endpoint, f"{prefix}a.bin") == HUGE
        dst = os.path.join(d, "back.bin")
        aws("s3", "cp", f"s3://{BUCKET}/{prefix}a.bin", dst)
        with open(dst, "rb") as f:
            assert f.read() == HUGE
        aws("s3", "cp", f"s3://{BUCKET}/{prefix}a.bin", f"s3://{BUCKET}/{prefix}b.bin")
        assert stored(endpoint, f"{prefix}b.bin") == HUGE
        aws("s3", "rm", "--recursive", f"s3://{BUCKET}/{prefix}")
        listed = json.loads(admin(endpoint, f"buckets/{BUCKET}/objects?prefix={prefix}"))
        assert listed == [], listed


def run(endpoint):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    def client(service, when_required=False, sigv4_presign=False, key=AKID, secret=SECRET, token=None):
        kwargs = {"s3": {"addressing_style": "path"}}
        if when_required:
            kwargs["request_checksum_calculation"] = "when_required"
            kwargs["response_checksum_validation"] = "when_required"
        if sigv4_presign:
            kwargs["signature_version"] = "s3v4"
        sess = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                     aws_session_token=token, region_name=REGION)
        return sess.client(service, endpoint_url=endpoint, config=Config(**kwargs))

    for mode in (False, True):
        label = "when_required" if mode else "default"
        s3 = client("s3", when_required=mode)

        @check(f"boto3 {label}: put bytes, head, get, delete")
        def _():
            key = f"boto3/{label}/bytes.txt"
            s3.put_object(Bucket=BUCKET, Key=key, Body=BODY, ContentType="text/plain")
            assert stored(endpoint, key) == BODY
            head = s3.head_object(Bucket=BUCKET, Key=key)
            assert head["ContentLength"] == len(BODY), head
            assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == BODY
            s3.delete_object(Bucket=BUCKET, Key=key)
            try:
                s3.head_object(Bucket=BUCKET, Key=key)
                raise AssertionError("object still there")
            except ClientError as e:
                assert e.response["Error"]["Code"] in ("404", "NoSuchKey"), e.response

        @check(f"boto3 {label}: put a file body (Expect: 100-continue)")
        def _():
            key = f"boto3/{label}/file.bin"
            with tempfile.TemporaryFile() as f:
                f.write(BIG)
                f.seek(0)
                s3.put_object(Bucket=BUCKET, Key=key, Body=f)
            assert stored(endpoint, key) == BIG

    s3 = client("s3")

    @check("boto3: wrong secret gives SignatureDoesNotMatch")
    def _():
        bad = client("s3", secret="wrong")
        try:
            bad.put_object(Bucket=BUCKET, Key="x", Body=BODY)
            raise AssertionError("accepted a wrong secret")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "SignatureDoesNotMatch", e.response
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    @check("boto3: conditional write refuses an existing key")
    def _():
        s3.put_object(Bucket=BUCKET, Key="boto3/once", Body=BODY, IfNoneMatch="*")
        try:
            s3.put_object(Bucket=BUCKET, Key="boto3/once", Body=b"other", IfNoneMatch="*")
            raise AssertionError("overwrote")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "PreconditionFailed", e.response

    @check("boto3: SigV4 presigned PUT works; SigV2 (boto3's default) is refused with S3's error")
    def _():
        v4 = client("s3", sigv4_presign=True)
        url = v4.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "boto3/presigned"}, ExpiresIn=300)
        req = urllib.request.Request(url, data=BODY, method="PUT")
        with urllib.request.urlopen(req) as r:
            assert r.status == 200
        assert stored(endpoint, "boto3/presigned") == BODY
        url2 = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "boto3/v2"}, ExpiresIn=300)
        assert "AWSAccessKeyId=" in url2, url2
        try:
            urllib.request.urlopen(urllib.request.Request(url2, data=BODY, method="PUT"))
            raise AssertionError("SigV2 accepted for a bucket that refuses it")
        except urllib.error.HTTPError as e:
            body = e.read().decode()
            assert e.code == 400 and "<Code>InvalidRequest</Code>" in body, body

    @check("boto3: a multipart upload whose parts go through SigV4 presigned URLs")
    def _():
        v4 = client("s3", sigv4_presign=True)
        key = "boto3/presigned-multipart.bin"
        upload = v4.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
        pieces = [HUGE[:5 * 1024 * 1024], HUGE[5 * 1024 * 1024:5 * 1024 * 1024 + 1000]]
        parts = []
        for n, piece in enumerate(pieces, start=1):
            url = v4.generate_presigned_url("upload_part", Params={"Bucket": BUCKET, "Key": key, "UploadId": upload,
                                                                    "PartNumber": n}, ExpiresIn=300)
            with urllib.request.urlopen(urllib.request.Request(url, data=piece, method="PUT")) as r:
                assert r.status == 200
                parts.append({"PartNumber": n, "ETag": r.headers["ETag"]})
        out = v4.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload,
                                           MultipartUpload={"Parts": parts})
        assert out["ETag"].endswith('-2"'), out
        assert stored(endpoint, key) == pieces[0] + pieces[1]

    @check("boto3: a caller-set Date header, which botocore signs as `Date: … -0000`")
    def _():
        dated = client("s3")
        sent = {}

        def add_date(request, **_):
            request.headers["Date"] = "set by the caller"  # botocore replaces it with formatdate()

        def seen(request, **_):
            date = request.headers.get("Date")
            sent["date"] = date.decode() if isinstance(date, bytes) else date

        dated.meta.events.register("before-sign.s3.PutObject", add_date)
        dated.meta.events.register("before-send.s3.PutObject", seen)
        dated.put_object(Bucket=BUCKET, Key="boto3/dated.txt", Body=BODY)
        assert stored(endpoint, "boto3/dated.txt") == BODY
        assert sent["date"].endswith(" -0000"), sent

    @check("boto3: list_objects_v2 and list_objects paginators over pages that end on common prefixes")
    def _():
        keys = ["a.txt", "b/1", "b/2", "b/c/3", "c.txt", "d/1", "d/2", "e/1", "f.txt"]
        for k in keys:
            s3.put_object(Bucket=BUCKET, Key=f"paged/{k}", Body=b"x")
        want = sorted(["paged/a.txt", "paged/b/", "paged/c.txt", "paged/d/", "paged/e/", "paged/f.txt"])
        for op in ("list_objects_v2", "list_objects"):
            for size in (1, 2, 3, 4):
                seen = []
                pages = s3.get_paginator(op).paginate(Bucket=BUCKET, Prefix="paged/", Delimiter="/",
                                                      PaginationConfig={"PageSize": size})
                for page in pages:
                    entries = [o["Key"] for o in page.get("Contents", [])] + \
                              [p["Prefix"] for p in page.get("CommonPrefixes", [])]
                    assert entries, f"{op}: an empty page at PageSize={size}"
                    seen.extend(entries)
                assert sorted(seen) == want and len(set(seen)) == len(seen), (op, size, seen)
        for k in keys:
            s3.delete_object(Bucket=BUCKET, Key=f"paged/{k}")

    @check("boto3: STS AssumeRole, then write with the session")
    def _():
        sts = client("sts")
        creds = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/transfer-role",
                                RoleSessionName="boto3-test", ExternalId="ext-123")["Credentials"]
        assert creds["AccessKeyId"].startswith("ASIA"), creds
        role_s3 = client("s3", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
        role_s3.put_object(Bucket=BUCKET, Key="boto3/role.txt", Body=BODY)
        assert stored(endpoint, "boto3/role.txt") == BODY
        who = client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
        arn = who.get_caller_identity()["Arn"]
        assert arn == "arn:aws:sts::111111111111:assumed-role/transfer-role/boto3-test", arn

    @check("boto3: STS AssumeRoleWithWebIdentity (unsigned) with a Google token, then write; a wrong sub is denied")
    def _():
        # A client with default settings: botocore's model marks this action unsigned.
        sts = boto3.session.Session(region_name=REGION).client("sts", endpoint_url=endpoint)
        out = sts.assume_role_with_web_identity(RoleArn=GCP_ROLE, RoleSessionName="boto3-oidc",
                                                WebIdentityToken=google_token(endpoint))
        assert out["SubjectFromWebIdentityToken"] == SA_CLAIMS["sub"], out
        assert out["Provider"] == "https://accounts.google.com", out
        creds = out["Credentials"]
        role_s3 = client("s3", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
        role_s3.put_object(Bucket=BUCKET, Key="boto3/oidc.txt", Body=BODY)
        assert stored(endpoint, "boto3/oidc.txt") == BODY
        wrong = google_token(endpoint, dict(SA_CLAIMS, sub="sync@vendor.iam.gserviceaccount.com"))
        try:
            sts.assume_role_with_web_identity(RoleArn=GCP_ROLE, RoleSessionName="boto3-oidc", WebIdentityToken=wrong)
            raise AssertionError("a token with the wrong sub was accepted")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDenied", e.response
            assert e.response["Error"]["Message"] == "Not authorized to perform sts:AssumeRoleWithWebIdentity", e.response

    @check("boto3: upload_file of 20 MiB with default settings (multipart), download_file back")
    def _():
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "huge.bin")
            with open(src, "wb") as f:
                f.write(HUGE)
            s3.upload_file(src, BUCKET, "boto3/huge.bin")
            head = s3.head_object(Bucket=BUCKET, Key="boto3/huge.bin")
            assert head["ContentLength"] == len(HUGE), head
            assert head["ETag"].endswith('-3"'), head["ETag"]
            assert stored(endpoint, "boto3/huge.bin") == HUGE
            dst = os.path.join(d, "back.bin")
            s3.download_file(BUCKET, "boto3/huge.bin", dst)
            with open(dst, "rb") as f:
                assert f.read() == HUGE
        assert json.loads(admin(endpoint, "uploads")) == [], "no upload left in progress"

    @check("boto3: copy_object, then delete_objects of both keys")
    def _():
        s3.put_object(Bucket=BUCKET, Key="boto3/copy-src.txt", Body=BODY, Metadata={"origin": "src"})
        out = s3.copy_object(Bucket=BUCKET, Key="boto3/copy-dst.txt",
                             CopySource={"Bucket": BUCKET, "Key": "boto3/copy-src.txt"})
        assert out["CopyObjectResult"]["ETag"], out
        got = s3.get_object(Bucket=BUCKET, Key="boto3/copy-dst.txt")
        assert got["Body"].read() == BODY and got["Metadata"] == {"origin": "src"}, got["Metadata"]
        out = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [
            {"Key": "boto3/copy-src.txt"}, {"Key": "boto3/copy-dst.txt"}]})
        assert sorted(d["Key"] for d in out["Deleted"]) == ["boto3/copy-dst.txt", "boto3/copy-src.txt"], out
        assert not out.get("Errors"), out

    @check("boto3: create_bucket of the customer's own bucket is BucketAlreadyOwnedByYou")
    def _():
        try:
            s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
            raise AssertionError("created a bucket that exists")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "BucketAlreadyOwnedByYou", e.response
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 409

    @check("boto3: a bucket created just now, written through its global name, follows the 307 to the region")
    def _():
        # boto3 in us-east-1 addresses `BUCKET.s3.amazonaws.com` (no endpoint override;
        # the emulator is its HTTP proxy). A bucket created a moment ago answers 307
        # TemporaryRedirect there; boto3's redirector re-signs for the region in
        # `x-amz-bucket-region` and resends to the regional name, which succeeds.
        new = "customer-lake-new"
        s3.create_bucket(Bucket=new, CreateBucketConfiguration={"LocationConstraint": REGION})
        sess = boto3.session.Session(aws_access_key_id=AKID, aws_secret_access_key=SECRET,
                                     region_name="us-east-1")
        since = json.loads(admin(endpoint, "log?limit=1"))[-1]["seq"]
        g = sess.client("s3", use_ssl=False, config=Config(proxies={"http": endpoint}))
        g.put_object(Bucket=new, Key="first.txt", Body=BODY)
        assert admin(endpoint, f"buckets/{new}/objects/first.txt") == BODY
        log = json.loads(admin(endpoint, f"log?since={since}"))
        seen = [(e["status"], e.get("code")) for e in log if e.get("operation") == "PutObject"]
        assert seen == [(307, "TemporaryRedirect"), (200, None)], seen
        trail = json.loads(admin(endpoint, "cloudtrail"))
        trail = trail.get("Records", trail) if isinstance(trail, dict) else trail
        hosts = [r["requestParameters"]["Host"] for r in trail
                 if r.get("eventName") == "PutObject" and r["requestParameters"].get("bucketName") == new]
        # The 307 was answered before authentication (no trail record); the write
        # that landed came through the regional name.
        assert hosts == [f"{new}.s3.eu-west-1.amazonaws.com"], hosts

    @check("boto3: an operation the emulator does not model is refused by name")
    def _():
        try:
            s3.get_bucket_policy(Bucket=BUCKET)
            raise AssertionError("answered an unmodelled operation")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "NotImplemented", e.response
            assert "GetBucketPolicy" in e.response["Error"]["Message"], e.response

    plain_env = cli_env()
    aws = cli(endpoint, plain_env, timeout=60)

    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(BIG)
        path = f.name

    for mode in ("when_supported", "when_required"):
        env = dict(plain_env, AWS_REQUEST_CHECKSUM_CALCULATION=mode)

        @check(f"aws cli ({mode}): s3api put-object, s3 cp, head-object, delete-object")
        def _():
            aws("s3api", "put-object", "--bucket", BUCKET, "--key", f"cli/{mode}/put.bin", "--body", path, env=env)
            assert stored(endpoint, f"cli/{mode}/put.bin") == BIG
            aws("s3", "cp", path, f"s3://{BUCKET}/cli/{mode}/cp.bin", env=env)
            assert stored(endpoint, f"cli/{mode}/cp.bin") == BIG
            head = json.loads(aws("s3api", "head-object", "--bucket", BUCKET, "--key", f"cli/{mode}/cp.bin", env=env))
            assert head["ContentLength"] == len(BIG), head
            aws("s3api", "delete-object", "--bucket", BUCKET, "--key", f"cli/{mode}/put.bin", env=env)

    @check("aws cli: s3 cp of 20 MiB both ways, s3 cp s3:// to s3://, s3 rm --recursive")
    def _():
        cli_round_trip(aws, endpoint, "cli/huge/")

    @check("aws cli: sts assume-role")
    def _():
        out = json.loads(aws("sts", "assume-role", "--role-arn", "arn:aws:iam::111111111111:role/transfer-role",
                             "--role-session-name", "cli", "--external-id", "ext-123"))
        assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111111111111:assumed-role/transfer-role/cli", out

    @check("aws cli: sts assume-role-with-web-identity")
    def _():
        out = json.loads(aws("sts", "assume-role-with-web-identity", "--role-arn", GCP_ROLE,
                             "--role-session-name", "cli-oidc", "--web-identity-token", google_token(endpoint)))
        assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111111111111:assumed-role/gcp-writer/cli-oidc", out

    @check("aws cli: a denied AssumeRole (wrong ExternalId) exits non-zero with AccessDenied")
    def _():
        out = subprocess.run(["aws", "--endpoint-url", endpoint, "sts", "assume-role", "--role-arn",
                              "arn:aws:iam::111111111111:role/transfer-role", "--role-session-name", "cli",
                              "--external-id", "wrong"], env=plain_env, capture_output=True, text=True, timeout=60)
        assert out.returncode != 0 and "AccessDenied" in out.stderr, out.stderr

    os.unlink(path)


def run_tls(endpoint, ca):
    """The same clients over HTTPS, trusting the CA `serve --tls` wrote and nothing else."""
    import ssl
    import boto3
    from botocore.config import Config
    from botocore.exceptions import SSLError

    ADMIN_TOKEN["ssl"] = ssl.create_default_context(cafile=ca)
    sess = boto3.session.Session(aws_access_key_id=AKID, aws_secret_access_key=SECRET, region_name=REGION)
    s3 = sess.client("s3", endpoint_url=endpoint, verify=ca, config=Config(s3={"addressing_style": "path"}))

    @check("tls: boto3 put, get, upload_file and download_file of 20 MiB, copy_object, delete_objects")
    def _():
        s3.put_object(Bucket=BUCKET, Key="tls/small.txt", Body=BODY)
        assert s3.get_object(Bucket=BUCKET, Key="tls/small.txt")["Body"].read() == BODY
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "huge.bin")
            with open(src, "wb") as f:
                f.write(HUGE)
            s3.upload_file(src, BUCKET, "tls/huge.bin")
            assert stored(endpoint, "tls/huge.bin") == HUGE
            back = os.path.join(d, "back.bin")
            s3.download_file(BUCKET, "tls/huge.bin", back)
            with open(back, "rb") as f:
                assert f.read() == HUGE
        s3.copy_object(Bucket=BUCKET, Key="tls/copy.txt", CopySource={"Bucket": BUCKET, "Key": "tls/small.txt"})
        assert stored(endpoint, "tls/copy.txt") == BODY
        out = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "tls/small.txt"}, {"Key": "tls/copy.txt"}]})
        assert len(out.get("Deleted", [])) == 2, out

    @check("tls: a client that does not trust the CA fails the handshake")
    def _():
        untrusting = sess.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"},
                                                                            retries={"max_attempts": 1}))
        try:
            untrusting.head_bucket(Bucket=BUCKET)
            raise AssertionError("an unknown CA was accepted")
        except SSLError:
            pass

    @check("tls: plain HTTP on the same port still answers")
    def _():
        plain = sess.client("s3", endpoint_url=endpoint.replace("https://", "http://", 1),
                            config=Config(s3={"addressing_style": "path"}))
        plain.put_object(Bucket=BUCKET, Key="tls/plain.txt", Body=BODY)
        assert stored(endpoint, "tls/plain.txt") == BODY

    aws = cli(endpoint, cli_env(AWS_CA_BUNDLE=ca), timeout=120)

    @check("tls: aws cli (AWS_CA_BUNDLE) s3 cp of 20 MiB both ways, s3 to s3, s3 rm --recursive")
    def _():
        cli_round_trip(aws, endpoint, "tls-cli/")


if __name__ == "__main__":
    main()
