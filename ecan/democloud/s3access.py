"""What an S3 request needs from IAM: the real S3 authorization mapping (method, path, query
sub-resources and headers -> IAM actions on resource ARNs, with the `s3:prefix` condition key),
for the local cloud to decide identity requests itself instead of trusting the emulator's own
action names, which are not IAM's and change between releases.

Anything this module does not recognise maps to an action no identity policy grants
(`s3:<Method><Object|Bucket><SubResources>`), so an unknown request is refused, never waved on.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ecan.democloud.policy import AccessRequest

# Real S3 takes at most 1000 keys per DeleteObjects; 1000 keys of 1 KB plus markup fits.
MAX_DELETE_BODY = 2 * 1024 * 1024
_LIST_PARAMS = frozenset({"list-type", "prefix", "delimiter", "max-keys", "continuation-token",
                          "start-after", "encoding-type", "fetch-owner", "marker",
                          "optional-object-attributes"})
_UPLOADS_LIST_PARAMS = frozenset({"uploads", "prefix", "delimiter", "encoding-type",
                                  "key-marker", "max-uploads", "upload-id-marker"})
_VERSIONS_LIST_PARAMS = frozenset({"versions", "prefix", "delimiter", "encoding-type",
                                   "key-marker", "max-keys", "version-id-marker"})
_Need = Callable[..., AccessRequest]
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_ACL_HEADERS = ("HTTP_X_AMZ_ACL", "HTTP_X_AMZ_GRANT_")


class MalformedRequest(ValueError):
    """The request cannot be read well enough to authorize it (S3 answers 400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DeleteEntry:
    key: str
    version_id: str | None


@dataclass(frozen=True)
class S3Access:
    """What one request needs. For a multi-object delete (`delete_entries` set), each entry is
    authorized on its own, as S3 does: `needs` then holds one request per entry, in order."""

    operation: str
    needs: tuple[AccessRequest, ...]
    delete_entries: tuple[DeleteEntry, ...] | None = None
    quiet: bool = False


def is_conditional_write(environ: Mapping[str, Any]) -> bool:
    """A PutObject with `If-Match` / `If-None-Match` (issue 20's agent documents). moto 5.2.6
    answers them as S3 does (412 PreconditionFailed; If-Match on a missing key: 404 NoSuchKey)
    but checks and then writes without a lock, so two such writes of one key at once could both
    succeed, where S3 lets one through and refuses the other: the server serialises them."""
    return str(environ.get("REQUEST_METHOD", "")).upper() == "PUT" and bool(
        environ.get("HTTP_IF_MATCH") or environ.get("HTTP_IF_NONE_MATCH"))


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def locate(environ: Mapping[str, Any], bucket: str) -> tuple[str, str] | None:
    """(bucket, key) the request addresses ("" key for a bucket or service request), or None
    when the Host leaves it open whether the request is path- or virtual-host style.

    Virtual-host style only when the Host's first label is this cloud's bucket; path style only
    for an IP address, `localhost` or a single-label name. Any other Host is refused rather
    than guessed, so this reading and the server's can never name different objects."""
    host = str(environ.get("HTTP_HOST", "")).strip().lower()
    # The host name without its port; an IPv6 literal ("[::1]:80") keeps its colons.
    name = host
    if not host.startswith("[") and ":" in host:
        name = host.rpartition(":")[0]
    path = unquote(_raw_path(environ))
    if not path.startswith("/"):
        return None
    if not name or name == "localhost" or "." not in name or name.startswith("[") \
            or _IPV4_RE.match(name):
        first, _, rest = path[1:].partition("/")
        return first, rest
    if name.split(".", 1)[0] == bucket.lower() and not name.endswith(
            (".amazonaws.com", ".svc.cluster.local")):
        return bucket, path[1:]
    return None


def required_access(environ: dict[str, Any], bucket: str, key: str,
                    context: Mapping[str, str]) -> S3Access:
    """The permissions S3 checks for this request on `bucket`/`key` (from `locate`).
    `context` is the caller's condition keys (e.g. the identity id); the request's own
    (`s3:prefix`) are added. A multi-object delete's body is read (bounded) and put back."""
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    query = _query(environ)
    params = set(query)

    def need(action: str, resource: str, **extra: str) -> AccessRequest:
        return AccessRequest(action, resource, {**context, **extra})

    if not bucket:
        return S3Access("ListBuckets", (need("s3:ListAllMyBuckets", "*"),))
    if key:
        return _object_access(environ, method, query, params, bucket, key, need)
    arn = bucket_arn(bucket)
    prefix = (query.get("prefix") or [""])[0]
    if method == "HEAD" and not params:
        return S3Access("HeadBucket", (need("s3:ListBucket", arn, **{"s3:prefix": prefix}),))
    if method == "GET":
        if params <= _LIST_PARAMS:
            return S3Access("ListObjects",
                            (need("s3:ListBucket", arn, **{"s3:prefix": prefix}),))
        if "uploads" in params and params <= _UPLOADS_LIST_PARAMS:
            return S3Access("ListMultipartUploads", (need(
                "s3:ListBucketMultipartUploads", arn, **{"s3:prefix": prefix}),))
        if "versions" in params and params <= _VERSIONS_LIST_PARAMS:
            return S3Access("ListObjectVersions", (need(
                "s3:ListBucketVersions", arn, **{"s3:prefix": prefix}),))
        if params == {"location"}:
            return S3Access("GetBucketLocation", (need("s3:GetBucketLocation", arn),))
    if method == "PUT" and not params:
        return S3Access("CreateBucket", (need("s3:CreateBucket", arn),))
    if method == "POST" and params == {"delete"}:
        entries, quiet = _delete_entries(environ)
        return S3Access("DeleteObjects", tuple(
            need("s3:DeleteObjectVersion" if e.version_id is not None else "s3:DeleteObject",
                 object_arn(bucket, e.key)) for e in entries), entries, quiet)
    return _unknown(method, "Bucket", params, arn, need)


def _object_access(environ: dict[str, Any], method: str, query: dict[str, list[str]],
                   params: set[str], bucket: str, key: str, need: _Need) -> S3Access:
    arn = object_arn(bucket, key)
    read = "s3:GetObjectVersion" if "versionId" in params else "s3:GetObject"
    overrides = {p for p in params if p.startswith("response-")}
    if method in ("GET", "HEAD"):
        if params - overrides <= {"versionId", "partNumber"}:
            return S3Access("GetObject" if method == "GET" else "HeadObject", (need(read, arn),))
        if method == "GET" and "attributes" in params and params <= {"attributes",
                                                                      "versionId"}:
            attrs = "s3:GetObjectVersionAttributes" if "versionId" in params else \
                "s3:GetObjectAttributes"
            return S3Access("GetObjectAttributes", (need(read, arn), need(attrs, arn)))
        if method == "GET" and "uploadId" in params and params <= {
                "uploadId", "max-parts", "part-number-marker"}:
            return S3Access("ListParts", (need("s3:ListMultipartUploadParts", arn),))
    elif method == "PUT":
        if not params or params == {"uploadId", "partNumber"}:
            needs = [need("s3:PutObject", arn)]
            copy_source = environ.get("HTTP_X_AMZ_COPY_SOURCE")
            if copy_source is not None:
                needs.append(_copy_source_need(str(copy_source), need))
            # What else real S3 asks of a write that sets tags or an ACL along the way.
            if environ.get("HTTP_X_AMZ_TAGGING") is not None and not params:
                needs.append(need("s3:PutObjectTagging", arn))
            if _sets_acl(environ):
                needs.append(need("s3:PutObjectAcl", arn))
            operation = ("UploadPart" if params else "PutObject") + (
                "Copy" if copy_source is not None else "")
            return S3Access(operation, tuple(needs))
    elif method == "POST":
        if params in ({"uploads"}, {"uploadId"}):
            needs = [need("s3:PutObject", arn)]
            if params == {"uploads"}:
                if environ.get("HTTP_X_AMZ_TAGGING") is not None:
                    needs.append(need("s3:PutObjectTagging", arn))
                if _sets_acl(environ):
                    needs.append(need("s3:PutObjectAcl", arn))
            operation = "CreateMultipartUpload" if "uploads" in params else \
                "CompleteMultipartUpload"
            return S3Access(operation, tuple(needs))
    elif method == "DELETE":
        if not params:
            return S3Access("DeleteObject", (need("s3:DeleteObject", arn),))
        if params == {"versionId"}:
            return S3Access("DeleteObject", (need("s3:DeleteObjectVersion", arn),))
        if params == {"uploadId"}:
            return S3Access("AbortMultipartUpload", (need("s3:AbortMultipartUpload", arn),))
    return _unknown(method, "Object", params, arn, need)


def _unknown(method: str, level: str, params: set[str], arn: str, need: _Need) -> S3Access:
    # No policy ecan deploys grants these; a policy with s3:* would, as it would on S3.
    subs = "".join(p[:1].upper() + p[1:] for p in sorted(params))
    name = f"{method.capitalize()}{level}{subs}"
    return S3Access(name, (need(f"s3:{re.sub(r'[^A-Za-z0-9]', '', name)}", arn),))


def _copy_source_need(header: str, need: _Need) -> AccessRequest:
    """s3:GetObject (or GetObjectVersion) on the copy's source: `bucket/key` or `/bucket/key`,
    URL-encoded, optionally `?versionId=...`."""
    parts = urlsplit(header)
    if parts.scheme or parts.netloc or parts.fragment:
        raise MalformedRequest("InvalidArgument", "Invalid copy source.")
    bucket, _, key = unquote(parts.path).lstrip("/").partition("/")
    if not bucket or not key:
        raise MalformedRequest("InvalidArgument", "Invalid copy source.")
    version = parse_qs(parts.query, keep_blank_values=True)
    action = "s3:GetObjectVersion" if "versionId" in version else "s3:GetObject"
    return need(action, object_arn(bucket, key))


def _sets_acl(environ: Mapping[str, Any]) -> bool:
    """A canned ACL or a grant among the request's headers (looked for in C: every write of an
    identity asks, and a request has some 30 environ entries)."""
    return any(map(str.startswith, environ, repeat(_ACL_HEADERS)))


def _query(environ: Mapping[str, Any]) -> dict[str, list[str]]:
    text = str(environ.get("QUERY_STRING", ""))
    if not text:  # most requests: nothing to parse
        return {}
    query = parse_qs(text, keep_blank_values=True)
    # Presigned-URL auth parameters and the SDK's `x-id` routing hint are not sub-resources.
    return {k: v for k, v in query.items()
            if not k.lower().startswith("x-amz-") and k != "x-id"}


def _raw_path(environ: Mapping[str, Any]) -> str:
    # The path as sent (still percent-encoded): decoding it once, here, as the server does,
    # keeps an encoded slash or a non-ASCII key the same on both sides.
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        text = str(raw)
        if text.startswith("/"):  # the usual origin form: no scheme to split off
            return text.split("?", 1)[0]
        parts = urlsplit(text)
        return parts.path if parts.scheme else text.split("?", 1)[0]
    path = str(environ.get("PATH_INFO", "/"))
    return path.encode("latin-1", "replace").decode("utf-8", "replace")


def _delete_entries(environ: dict[str, Any]) -> tuple[tuple[DeleteEntry, ...], bool]:
    body = read_body(environ, MAX_DELETE_BODY)
    if _is_aws_chunked(environ):
        body = _dechunk(body)
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise MalformedRequest("MalformedXML", "The XML you provided was not well-formed.")
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise MalformedRequest("MalformedXML",
                               "The XML you provided was not well-formed.") from None
    if _local(root.tag) != "Delete":
        raise MalformedRequest("MalformedXML", "The XML you provided was not well-formed.")
    entries = []
    quiet = False
    for child in root:
        name = _local(child.tag)
        if name == "Quiet":
            quiet = (child.text or "").strip().lower() == "true"
        elif name == "Object":
            fields = {_local(c.tag): c.text or "" for c in child}
            if "Key" not in fields:
                raise MalformedRequest("MalformedXML",
                                       "The XML you provided was not well-formed.")
            entries.append(DeleteEntry(fields["Key"], fields.get("VersionId")))
    if not entries or len(entries) > 1000:
        raise MalformedRequest("MalformedXML", "The XML you provided was not well-formed.")
    return tuple(entries), quiet


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body (at most `limit` bytes, else MalformedRequest), put back into
    `environ` so the next application reads the same bytes."""
    stream = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text:
        try:
            length = int(length_text)
        except ValueError:
            raise MalformedRequest("InvalidArgument", "Bad Content-Length.") from None
        if length < 0 or length > limit:
            raise MalformedRequest("MalformedXML", "The request body is too large.")
        body = stream.read(length) if length else b""
    elif environ.get("wsgi.input_terminated"):
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise MalformedRequest("MalformedXML", "The request body is too large.")
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    if not length_text:
        environ["CONTENT_LENGTH"] = str(len(body))
    return bytes(body)


def _is_aws_chunked(environ: Mapping[str, Any]) -> bool:
    return "aws-chunked" in str(environ.get("HTTP_CONTENT_ENCODING", "")).lower() or \
        str(environ.get("HTTP_X_AMZ_CONTENT_SHA256", "")).startswith("STREAMING-")


def _dechunk(body: bytes) -> bytes:
    """The payload of an `aws-chunked` body (`<hex size>[;chunk-signature=...]\\r\\n<data>\\r\\n`
    frames, a zero-size frame, optional trailers)."""
    out = bytearray()
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise MalformedRequest("MalformedXML", "The request body is not well-formed.")
        try:
            size = int(body[pos:end].split(b";", 1)[0], 16)
        except ValueError:
            raise MalformedRequest("MalformedXML",
                                   "The request body is not well-formed.") from None
        if size == 0:
            return bytes(out)
        start = end + 2
        if size < 0 or start + size > len(body):
            raise MalformedRequest("MalformedXML", "The request body is not well-formed.")
        out += body[start:start + size]
        pos = start + size + 2


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
