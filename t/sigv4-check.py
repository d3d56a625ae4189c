#!/usr/bin/env python3
"""AWS Signature V4, recomputed independently, for t5200.

  sigv4-check.py serve PORT LOG     an HTTP server on 127.0.0.1:PORT that logs
                                    each request (JSON lines) and answers HEAD,
                                    GET and copies (PUT with x-amz-copy-source)
                                    with 404, other PUTs with 200
  sigv4-check.py verify LOG SECRET  recompute each logged request's signature
                                    following AWS's documented algorithm and
                                    compare it with the Authorization header

The algorithm (docs.aws.amazon.com, "Signature Version 4 signing process"):
canonical request = method, URI, sorted query, the signed headers as
"name:value" lines, the signed header names, the payload's SHA-256; string to
sign = algorithm, date, scope, SHA-256 of the canonical request; key =
HMAC chain over date, region, service, "aws4_request" from "AWS4" + secret.
"""
import base64
import hashlib
import hmac
import http.server
import json
import re
import sys
import urllib.parse


def serve(port, log):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def record(self, body):
            with open(log, "a") as f:
                f.write(json.dumps({
                    "method": self.command,
                    "path": self.path,
                    "headers": [[k, v] for k, v in self.headers.items()],
                    "body": base64.b64encode(body).decode(),
                }) + "\n")

        def answer(self, status):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_HEAD(self):
            self.record(b"")
            self.answer(404)

        def do_GET(self):
            self.record(b"")
            self.answer(404)

        def do_PUT(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.record(body)
            self.answer(404 if "x-amz-copy-source" in self.headers else 200)

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()


def sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def canonical_query(query):
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    enc = lambda s: urllib.parse.quote(s, safe="-_.~")
    return "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(pairs))


def verify(log, secret):
    failures = 0
    for line in open(log):
        req = json.loads(line)
        headers = {}
        for k, v in req["headers"]:
            headers[k.lower()] = " ".join(v.strip().split())
        body = base64.b64decode(req["body"])
        auth = headers.get("authorization", "")
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
        if not m:
            print(f"{req['method']} {req['path']}: no SigV4 Authorization header: {auth!r}")
            failures += 1
            continue
        _, date, region, service, signed, signature = m.groups()
        payload = hashlib.sha256(body).hexdigest()
        if headers.get("x-amz-content-sha256") != payload:
            print(f"{req['method']} {req['path']}: x-amz-content-sha256 is not the body's SHA-256")
            failures += 1
        names = signed.split(";")
        for need in ("host", "x-amz-date", "x-amz-content-sha256"):
            if need not in names:
                print(f"{req['method']} {req['path']}: {need} is not signed")
                failures += 1
        path, _, query = req["path"].partition("?")
        canonical = "\n".join([
            req["method"], path, canonical_query(query),
            "".join(f"{n}:{headers.get(n, '')}\n" for n in names),
            signed, payload])
        amz_date = headers["x-amz-date"]
        scope = f"{date}/{region}/{service}/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = sign(("AWS4" + secret).encode(), date)
        for part in (region, service, "aws4_request"):
            key = sign(key, part)
        want = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if want != signature:
            print(f"{req['method']} {req['path']}: signature {signature}, recomputed {want}")
            failures += 1
        else:
            print(f"{req['method']} {req['path']}: signature OK")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    else:
        verify(sys.argv[2], sys.argv[3])
