"""The `s3` storage backend: AWS S3 and S3-compatible services (Cloudflare R2, MinIO) through one
long-lived botocore client, except small PUTs, which go straight on http.client when they can
(`ecan.storage.s3direct`: botocore's per-call CPU bounded a large first sync) and through
botocore when they cannot. Every failure leaves here as a mapped user-facing error
(`ecan.storage.errors`); the content's sha256 travels as the checksum and in the metadata, and
what S3 stored is checked against S3's own SHA-256 checksum (of the parts, for multipart)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import secrets
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlparse

from ecan.storage.base import ObjectInfo, ProgressCallback, PutResult
from ecan.storage.errors import (
    ObjectTooLarge,
    PreconditionFailed,
    StorageError,
    TransientStorageError,
    is_bodiless,
    is_credentials_refusal,
    is_service_side,
    map_s3_error,
)
from ecan.storage.local import validate_key, validate_metadata
from ecan.storage.s3direct import (
    NO_ANSWER,
    UNVERIFIED,
    Answer,
    Credentials,
    DirectS3,
    frozen,
    object_url,
    proxied,
)

if TYPE_CHECKING:
    from botocore.session import Session
    from s3transfer.manager import TransferConfig

log = logging.getLogger(__name__)
_T = TypeVar("_T")

MB = 1024 * 1024
_CHUNK = MB
_SHA_META = "sha256"  # sent as x-amz-meta-sha256
_CONTINUE_FROM = 2 * MB  # smaller PUT bodies go without "Expect: 100-continue", and direct


def _no_wait_for_small_bodies(model: Any, params: dict[str, Any], **_: Any) -> None:
    """botocore asks for "100 Continue" before every PUT body: a round trip (and, on a busy
    server, a wait) that only pays off when a refused body is big enough to be worth not
    sending. The sync engine's PUTs are mostly thumbnails and photos of a few hundred KB, so
    below _CONTINUE_FROM the body goes straight away, as the AWS SDKs for Go and Java do."""
    from botocore.utils import determine_content_length

    headers = params.get("headers") or {}
    if "Expect" in headers:
        size = determine_content_length(params.get("body"))
        if size is not None and size < _CONTINUE_FROM:
            del headers["Expect"]


@dataclass(frozen=True)
class CredentialStatus:
    """What `ecan doctor` reports about the credentials in use (never the keys themselves)."""

    method: str  # botocore's name for where they came from ("explicit", "cognito", ...)
    refreshable: bool
    expires_at: datetime | None


class _ProgressSubscriber:
    """Hands the transfer manager's progress (bytes sent; negative when a retry starts a part
    over) to put_file's callback. (s3transfer calls any subscriber's on_progress; its own base
    class is not needed, and importing it here would load s3transfer for every store.)"""

    def __init__(self, callback: ProgressCallback) -> None:
        self._callback = callback

    def on_progress(self, bytes_transferred: int, **_: Any) -> None:
        self._callback(bytes_transferred)


class S3BlobStore:
    """An S3 bucket as a BlobStore. Thread-safe: one botocore client shared by all workers.

    Built on a bare botocore session, not boto3: boto3 (with the s3transfer it imports eagerly)
    cost a signed-in `ecan sync` some 20 ms of its start-up for nothing. s3transfer is loaded by
    the first put_file. And botocore itself (~0.1 s to load, with the S3 model) is loaded by the
    first request the direct path (ecan.storage.s3direct) does not take: small PUTs, HEADs and
    listings go direct where they can, so a sync of photos may never need it."""

    name = "s3"

    def __init__(self, session: Session | Callable[[], Session], bucket: str, *,
                 credentials: Callable[[], Credentials | None] | None = None,
                 endpoint_url: str = "", region: str = "", is_r2: bool = False,
                 cdn_domain: str = "", public_url_base: str = "", max_connections: int = 10,
                 connect_timeout: float = 10.0, read_timeout: float = 60.0,
                 max_attempts: int = 3, multipart_threshold: int = 16 * MB,
                 multipart_chunksize: int = 8 * MB, transfer_concurrency: int = 4,
                 page_size: int = 1000, proxy: str = "") -> None:
        """`session`: the botocore session, or a function that makes it when first needed.
        `credentials`: where the direct path finds credentials without botocore (static keys,
        or the Cognito ones kept from an earlier run); when it has none (None), it asks the
        session's. `proxy`: every request through this proxy URL ("": botocore's own choice,
        which honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY)."""
        self._session: Session | None = None if callable(session) else session
        self._make_session: Callable[[], Session] | None = session if callable(session) \
            else None
        self._credentials = credentials
        self.bucket = bucket
        self.endpoint_url = endpoint_url.rstrip("/")
        self.is_r2 = is_r2
        self.region = "auto" if is_r2 else (region or "us-east-1")
        self.cdn_domain = cdn_domain
        self.public_url_base = public_url_base.rstrip("/")
        self.page_size = page_size
        self.multipart_threshold = multipart_threshold
        where = self.endpoint_url or f"AWS S3 ({self.region})"
        self.location = f"bucket '{bucket}' at {where}"
        options: dict[str, Any] = {
            # The per-request retry layer; the sync engine's outbox is the per-item one.
            "retries": {"mode": "standard", "total_max_attempts": max_attempts},
            # Each sync worker, plus the parts of a multipart upload, holds a connection.
            "max_pool_connections": max_connections + transfer_concurrency,
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "signature_version": "s3v4",
            # Only the endpoint ecan was configured with: never one from ~/.aws or AWS_ENDPOINT_URL.
            "ignore_configured_endpoint_urls": True,
        }
        if proxy:
            options["proxies"] = {"http": proxy, "https": proxy}
        if endpoint_url:
            # MinIO and local servers do not resolve bucket.host names; R2 accepts both.
            # (s3direct.object_url builds the same path-style URLs.)
            options["s3"] = {"addressing_style": "path"}
        if is_r2:
            # R2 rejects the CRC checksums newer SDKs add by default.
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        self._client_options = options
        self._botocore_client: Any = None  # made by the first request that needs botocore
        self._botocore_lock = threading.Lock()
        self.multipart_chunksize = multipart_chunksize
        self.transfer_concurrency = transfer_concurrency
        self._transfer_config: TransferConfig | None = None  # made by the first put_file
        # The direct path stands aside where a proxy is in the way; made by the first request
        # that can take it.
        self._direct_wanted = not proxy
        self._direct: DirectS3 | None = None
        self._direct_lock = threading.Lock()
        self._timeouts = (connect_timeout, read_timeout)

    @property
    def session(self) -> Session:
        """The botocore session (made now if it was left to be made when needed)."""
        if self._session is None:
            with self._botocore_lock:
                if self._session is None and self._make_session is not None:
                    self._session = self._make_session()
        assert self._session is not None
        return self._session

    @property
    def _client(self) -> Any:
        """The botocore S3 client, made on first use."""
        if self._botocore_client is None:
            session = self.session
            with self._botocore_lock:
                if self._botocore_client is None:
                    from botocore.config import Config

                    client = session.create_client(
                        "s3", endpoint_url=self.endpoint_url or None, region_name=self.region,
                        config=Config(**self._client_options))
                    client.meta.events.register_last("before-call.s3",
                                                     _no_wait_for_small_bodies)
                    self._botocore_client = client
        return self._botocore_client

    @property
    def _transfer(self) -> TransferConfig:
        """The transfer manager's settings (those boto3's TransferConfig gave the classic,
        threaded manager `client.upload_file` used), built on first use so s3transfer loads
        only then."""
        if self._transfer_config is None:
            from s3transfer.manager import TransferConfig

            self._transfer_config = TransferConfig(
                multipart_threshold=self.multipart_threshold,
                multipart_chunksize=self.multipart_chunksize,
                max_request_concurrency=self.transfer_concurrency, max_io_queue_size=100)
        return self._transfer_config

    # -- errors ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _mapped(self, operation: str, key: str = "") -> Iterator[None]:
        try:
            yield
        except (KeyError, ValueError, StorageError):
            raise
        except Exception as e:
            mapped = map_s3_error(e, bucket=self.bucket, operation=operation,
                                  endpoint=self.endpoint_url, key=key)
            log.info("s3 %s %s failed: %s (%s)", operation, key or self.bucket, mapped.code,
                     type(e).__name__)
            raise mapped from None

    @staticmethod
    def _code(e: Exception) -> str:
        response = getattr(e, "response", None) or {}
        return str(response.get("Error", {}).get("Code", ""))

    @staticmethod
    def _status(e: Exception) -> int:
        response = getattr(e, "response", None) or {}
        return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)

    # -- writing ---------------------------------------------------------------------------

    def put_file(self, key: str, path: Path, *, content_type: str, sha256: str,
                 metadata: dict[str, str] | None = None,
                 progress: ProgressCallback | None = None) -> PutResult:
        validate_key(key)
        meta = validate_metadata(metadata)
        meta[_SHA_META] = sha256.lower()
        checksum = _b64(sha256)
        try:
            size = os.stat(path).st_size
            multipart = size >= self.multipart_threshold
            # Keys are content-addressed: a file that no longer matches its hash must not go
            # up under that name. (S3 re-checks single PUTs against ChecksumSHA256 itself.)
            actual, composite = _file_digests(path, self._part_size(size) if multipart else 0)
        except FileNotFoundError:
            raise StorageError("file_missing", f"{path} no longer exists; nothing was uploaded.",
                               "Import the file again.") from None
        if actual != sha256.lower():
            raise StorageError(
                "checksum_mismatch", f"{path} does not match its recorded sha256 (it changed "
                "after import); nothing was uploaded.", "Import the file again.")
        extra: dict[str, Any] = {"ContentType": content_type, "Metadata": meta}
        if not multipart:
            # One PUT: S3 checks the whole object against our own hash (end to end).
            extra["ChecksumSHA256"] = checksum
        elif not self.is_r2:
            # Multipart: S3 has no whole-object SHA-256, so each part carries its own, and S3
            # keeps the composite (the SHA-256 of the parts' SHA-256s) that _verify checks.
            extra["ChecksumAlgorithm"] = "SHA256"
        from s3transfer.manager import TransferManager

        started = time.monotonic()
        # The transfer manager itself, not boto3's upload_file: that wraps every refusal in an
        # S3UploadFailedError that no longer says why (an expired session, a missing
        # permission), so it reached the engine unmapped.
        subscribers = [_ProgressSubscriber(progress)] if progress is not None else None
        with self._mapped("put_file", key), TransferManager(self._client, self._transfer) \
                as manager:
            manager.upload(str(path), self.bucket, key, extra_args=extra,
                           subscribers=subscribers).result()
        if multipart:
            self._verify(key, size, actual, composite)
        elapsed = max(time.monotonic() - started, 1e-6)
        log.info("uploaded %s: %d bytes in %.2f s (%.2f MB/s)", key, size, elapsed,
                 size / MB / elapsed)
        return PutResult(key=key, size=size, sha256=sha256.lower())

    def _part_size(self, size: int) -> int:
        """The part size the transfer manager will use for a file of `size` bytes (it grows
        the configured one to stay within S3's 10,000 parts)."""
        from s3transfer.utils import ChunksizeAdjuster

        return int(ChunksizeAdjuster().adjust_chunksize(self.multipart_chunksize, size))

    def _verify(self, key: str, size: int, sha256: str, composite: str) -> None:
        """Check a multipart object by S3's own checksum of what it stored. The x-amz-meta-sha256
        is only what ecan itself sent, so comparing with it verifies nothing but the size.

        S3 answers the composite SHA-256 of the parts ("<base64>-<parts>"); a service that keeps
        a full-object SHA-256 answers that instead; both are computed here from the file. We
        chose SHA-256 over a full-object CRC: the parts' SHA-256s are sent (and checked by S3)
        anyway, and a CRC is no defence against anything but line noise. Where the service
        gives no checksum (R2, older MinIO), only the size can be checked."""
        with self._mapped("put_file", key):
            response = self._client.head_object(Bucket=self.bucket, Key=key,
                                                ChecksumMode="ENABLED")
        theirs = str(response.get("ChecksumSHA256") or "")
        value, _, parts = theirs.partition("-")
        good = int(response.get("ContentLength", -1)) == size
        if value:
            ours_value, _, ours_parts = composite.partition("-")
            good = good and (value == _b64(sha256) or (
                value == ours_value and parts in ("", ours_parts)))
        elif not self.is_r2:
            log.info("%s: the service reports no SHA-256 checksum; checked its size only", key)
        if good:
            return
        try:  # a damaged object must not stay under the content's name (restore would take it)
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except Exception:  # noqa: BLE001 - the retry's upload replaces it anyway
            log.warning("could not remove the damaged upload %s", key, exc_info=True)
        raise TransientStorageError(
            "checksum_mismatch", f"{key} arrived damaged: the storage service's checksum of "
            "what it stored does not match the file.", "It is uploaded again.")

    def put_bytes(self, key: str, data: bytes, *, content_type: str,
                  metadata: dict[str, str] | None = None) -> PutResult:
        validate_key(key)
        digest = hashlib.sha256(data).hexdigest()
        meta = validate_metadata(metadata)
        meta[_SHA_META] = digest
        answer = Answer(NO_ANSWER)
        if len(data) < _CONTINUE_FROM:
            answer, _ = self._ask_direct("put_bytes", key, lambda direct: (direct.put(
                key, data, sha256=digest, content_type=content_type, metadata=meta), None))
            if answer.stored:
                return PutResult(key=key, size=len(data), sha256=digest)
        # botocore: the whole request layer (retries, refreshes, redirects, error answers).
        with self._mapped("put_bytes", key):
            self._client.put_object(Bucket=self.bucket, Key=key, Body=data,
                                    ContentType=content_type, Metadata=meta,
                                    ChecksumSHA256=_b64(digest))
        self._botocore_got_past(answer, "PUT")
        return PutResult(key=key, size=len(data), sha256=digest)

    # -- the direct path -------------------------------------------------------------------

    def _direct_s3(self) -> DirectS3 | None:
        """The direct path, made on first use; None where it stands aside (a proxy, an object
        URL of a shape it does not know)."""
        if self._direct is not None or not self._direct_wanted:
            return self._direct
        with self._direct_lock:
            if self._direct is None and self._direct_wanted:
                try:
                    self._direct = self._make_direct()
                except ValueError:
                    log.info("requests go through botocore", exc_info=True)
                self._direct_wanted = False
        return self._direct

    def _make_direct(self) -> DirectS3 | None:
        url = object_url(self.endpoint_url, self.bucket, self.region)
        if url is None or proxied(url):
            log.info("requests to %s go through botocore", self.location)
            return None
        context = None
        if url.startswith("https:"):
            # The CA bundle botocore verifies this service with: AWS_CA_BUNDLE, or certifi's
            # (or the session's own setting, once botocore is loaded anyway).
            if self._session is not None:
                from botocore.httpsession import get_cert_path

                bundle = get_cert_path(self._session.get_config_variable("ca_bundle") or True)
            else:
                import certifi

                bundle = os.environ.get("AWS_CA_BUNDLE") or certifi.where()
            context = ssl.create_default_context(cafile=bundle)
        connect_timeout, read_timeout = self._timeouts
        return DirectS3(url, self.region, self._direct_credentials,
                        connect_timeout=connect_timeout, read_timeout=read_timeout,
                        ssl_context=context)

    def _ask_direct(self, operation: str, about: str,
                    request: Callable[[DirectS3], tuple[Answer, _T | None]]
                    ) -> tuple[Answer, _T | None]:
        """`request` by the direct path (a credentials error leaves mapped, as botocore's
        would); (no answer, None) where the path stands aside."""
        with self._mapped(operation, about):
            direct = self._direct_s3()
            if direct is not None:
                return request(direct)
        return Answer(NO_ANSWER), None

    def _direct_credentials(self) -> Credentials | None:
        """Credentials at hand without botocore when the store was given a source of them,
        else (or when it has none now) the botocore session's, refreshed first when due."""
        creds = self._credentials() if self._credentials is not None else None
        return creds if creds is not None else frozen(self.session.get_credentials())

    def _botocore_got_past(self, answer: Answer, request: str) -> None:
        """After botocore's request succeeded where the direct one failed: if the direct one
        was refused, and not for a busy service or credentials botocore refreshed, this
        service wants something only botocore knows (a redirect, a signing detail, a
        certificate it finds in its own settings). The direct path stands aside from then on."""
        if (answer.status == NO_ANSWER and answer.code != UNVERIFIED) \
                or is_service_side(answer.code, answer.status) \
                or is_credentials_refusal(answer.code) \
                or (answer.status in (400, 403) and not answer.code):  # (a HEAD's: says no why)
            return
        log.info("%s answered %s %s to a direct %s that botocore's got past; requests go "
                 "through botocore from now on", self.location, answer.status or "nothing",
                 answer.code, request)
        self._direct = None
        self._direct_wanted = False

    def put_if(self, key: str, data: bytes, *, version: str | None,
               content_type: str) -> str:
        from botocore.exceptions import ClientError

        validate_key(key)
        digest = hashlib.sha256(data).hexdigest()
        condition = {"IfMatch": version} if version is not None else {"IfNoneMatch": "*"}
        with self._mapped("put_bytes", key):
            try:
                response = self._client.put_object(
                    Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                    Metadata={_SHA_META: digest}, ChecksumSHA256=_b64(digest), **condition)
            except ClientError as e:
                # 409: another conditional write of this key was under way at the same time;
                # 404 (If-Match): the object was deleted since it was read.
                if self._code(e) in ("PreconditionFailed", "ConditionalRequestConflict",
                                     "NoSuchKey") or self._status(e) in (404, 409, 412):
                    raise PreconditionFailed(key) from None
                raise
        return str(response.get("ETag", ""))

    # -- reading ---------------------------------------------------------------------------

    def _read_bounded(self, key: str, response: dict[str, Any], max_bytes: int | None) -> bytes:
        """The body, or ObjectTooLarge as soon as it is known to be over `max_bytes`: from its
        declared length before anything is read, or after `max_bytes` + 1 bytes for a body
        that keeps coming regardless."""
        body = response["Body"]
        with self._mapped("get_bytes", key), contextlib.closing(body):
            if max_bytes is None:
                return bytes(body.read())
            if int(response.get("ContentLength") or 0) > max_bytes:
                raise ObjectTooLarge(key, max_bytes)
            data = bytes(body.read(max_bytes + 1))
            if len(data) > max_bytes:
                raise ObjectTooLarge(key, max_bytes)
            return data

    def get_versioned(self, key: str, *, max_bytes: int) -> tuple[bytes, str]:
        response = self._get_object(key, "get_bytes")
        return self._read_bounded(key, response, max_bytes), str(response.get("ETag", ""))

    def _get_object(self, key: str, operation: str) -> dict[str, Any]:
        validate_key(key)
        answer, response = self._ask_direct(operation, key, lambda direct: direct.get(key))
        if response is not None:
            return response
        if answer.status == 404 and answer.code == "NoSuchKey":
            raise KeyError(key)
        from botocore.exceptions import ClientError

        with self._mapped(operation, key):
            try:
                found = dict(self._client.get_object(Bucket=self.bucket, Key=key))
            except ClientError as e:
                if self._code(e) in ("NoSuchKey", "404"):
                    raise KeyError(key) from None
                raise
        self._botocore_got_past(answer, "GET")
        return found

    def get_bytes(self, key: str, *, max_bytes: int | None = None) -> bytes:
        return self._read_bounded(key, self._get_object(key, "get_bytes"), max_bytes)

    def download_file(self, key: str, dest: Path,
                      progress: ProgressCallback | None = None) -> ObjectInfo:
        """Stream the object into a temp file next to `dest`, check its sha256 against the
        metadata, then rename: `dest` is either the whole object or untouched."""
        dest = Path(dest)
        response = self._get_object(key, "download_file")
        info = self._info(key, response)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp-{secrets.token_hex(4)}")
        h = hashlib.sha256()
        try:
            body = response["Body"]
            with self._mapped("download_file", key), contextlib.closing(body), \
                    open(tmp, "wb") as out:
                for chunk in body.iter_chunks(_CHUNK):
                    out.write(chunk)
                    h.update(chunk)
                    if progress:
                        progress(len(chunk))
                out.flush()
                os.fsync(out.fileno())
            if info.sha256 and h.hexdigest() != info.sha256:
                raise TransientStorageError(
                    "checksum_mismatch", f"The download of {key} did not match its sha256.",
                    "The transfer was damaged; it is retried.")
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return info

    def head(self, key: str) -> ObjectInfo | None:
        validate_key(key)
        answer, response = self._ask_direct("head", key, lambda direct: direct.head(key))
        if answer.status == 404:
            return None
        if response is not None:
            return self._info(key, response)
        info = self._botocore_head(key)
        self._botocore_got_past(answer, "HEAD")
        return info

    def _botocore_head(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        with self._mapped("head", key):
            try:
                response = self._client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as e:
                if self._code(e) in ("404", "NoSuchKey", "NotFound"):
                    return None
                if is_bodiless(e) and self._status(e) in (400, 403):
                    return self._head_by_get(key, e)
                raise
        return self._info(key, response)

    def _head_by_get(self, key: str, refused: Exception) -> ObjectInfo | None:
        """A HEAD's refusal has no body, so an expired token, a skewed clock and a missing
        permission all read "400"/"403". A one-byte GET needs the same permission and its
        refusal says why; if it gets through instead, it answers what the HEAD would have."""
        from botocore.exceptions import ClientError

        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key, Range="bytes=0-0")
        except ClientError as e:
            if self._code(e) in ("404", "NoSuchKey", "NotFound"):
                return None
            if not is_bodiless(e):
                raise  # the reason, mapped by the caller
            raise refused from None
        with contextlib.closing(response["Body"]):
            pass
        total = str(response.get("ContentRange", "")).rpartition("/")[2]
        if total.isdigit():
            response["ContentLength"] = int(total)
        return self._info(key, response)

    @staticmethod
    def _info(key: str, response: dict[str, Any]) -> ObjectInfo:
        meta = {str(k).lower(): str(v) for k, v in (response.get("Metadata") or {}).items()}
        sha = meta.pop(_SHA_META, None)
        modified = response.get("LastModified")
        return ObjectInfo(key=key, size=int(response.get("ContentLength", 0)), sha256=sha,
                          content_type=response.get("ContentType"), metadata=meta,
                          last_modified=modified.timestamp() if modified else None)

    def list(self, prefix: str, *, start_after: str = "") -> Iterator[ObjectInfo]:
        # Pages followed here, not with botocore's paginator: its first use loads the
        # paginator model, which lists every service folder of the SDK (hundreds of stat
        # calls; 0.6 s of a signed-in `ecan sync` on a busy machine, twice per run).
        token = ""
        while True:
            page = self._list_page(prefix, self.page_size, start_after=start_after,
                                   token=token)
            for obj in page.get("Contents", []) or []:
                modified = obj.get("LastModified")
                yield ObjectInfo(key=obj["Key"], size=int(obj.get("Size", 0)),
                                 last_modified=modified.timestamp() if modified else None)
            token = page.get("NextContinuationToken") or ""
            if not page.get("IsTruncated") or not token:
                return

    def _list_page(self, prefix: str, max_keys: int, *, start_after: str = "",
                   token: str = "", operation: str = "list") -> dict[str, Any]:
        """One ListObjectsV2 page, direct or else through botocore."""
        answer, page = self._ask_direct(operation, prefix, lambda direct: direct.list_objects(
            prefix, max_keys=max_keys, start_after=start_after, token=token))
        if page is not None:
            return page
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": max_keys}
        if start_after:
            request["StartAfter"] = start_after
        if token:
            request["ContinuationToken"] = token
        with self._mapped(operation, prefix):
            page = dict(self._client.list_objects_v2(**request))
        self._botocore_got_past(answer, "listing")
        return page

    # -- the rest --------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._mapped("delete", key):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def check_access(self, prefix: str = "") -> None:
        # Never head_bucket: R2 tokens scoped to objects may be denied it.
        self._list_page(prefix, 1, operation="check_access")

    def public_url(self, key: str) -> str | None:
        validate_key(key)
        if self.cdn_domain:
            host = urlparse(self.cdn_domain).netloc or self.cdn_domain.strip("/")
            return f"https://{host}/{quote(key)}"
        if self.public_url_base:
            return f"{self.public_url_base}/{quote(key)}"
        return None

    def presigned_url(self, key: str, expires_s: int = 3600) -> str:
        validate_key(key)
        with self._mapped("presigned_url", key):
            return str(self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_s))

    # -- for `ecan doctor` -----------------------------------------------------------------

    def credential_status(self) -> CredentialStatus:
        """Get (refreshing if due) the session's credentials and say what they are."""
        with self._mapped("credentials"):
            creds = self.session.get_credentials()
            if creds is None:
                from botocore.exceptions import NoCredentialsError

                raise NoCredentialsError()
            # Forces a refresh when due, so an expired session fails here, not mid-upload.
            creds.get_frozen_credentials()
        # botocore keeps the expiry private; reading it is the only way to report it.
        expiry = getattr(creds, "_expiry_time", None)
        return CredentialStatus(method=str(getattr(creds, "method", "") or "unknown"),
                                refreshable=hasattr(creds, "refresh_needed"),
                                expires_at=expiry if isinstance(expiry, datetime) else None)

    def server_time(self, prefix: str = "") -> float | None:
        """The service's clock (its Date header), from a one-key listing. Error answers carry
        the header too, so this works even when the clock is why requests fail."""
        from botocore.exceptions import ClientError

        try:
            with self._mapped("clock"):
                try:
                    response = self._client.list_objects_v2(Bucket=self.bucket, Prefix=prefix,
                                                            MaxKeys=1)
                except ClientError as e:
                    response = dict(e.response)
        except StorageError:
            raise
        date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        if not date:
            return None
        try:
            return parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return None


def _file_digests(path: Path, part_size: int) -> tuple[str, str]:
    """(hex SHA-256 of the file, S3's composite SHA-256 for these parts: "<base64>-<parts>"),
    in one read. part_size 0: no parts, the composite is ""."""
    whole = hashlib.sha256()
    part = hashlib.sha256()
    parts: list[bytes] = []
    in_part = 0
    with open(path, "rb") as f:
        while chunk := f.read(min(_CHUNK, part_size - in_part) if part_size else _CHUNK):
            whole.update(chunk)
            if part_size:
                part.update(chunk)
                in_part += len(chunk)
                if in_part == part_size:
                    parts.append(part.digest())
                    part, in_part = hashlib.sha256(), 0
    if not part_size:
        return whole.hexdigest(), ""
    if in_part or not parts:
        parts.append(part.digest())
    combined = base64.b64encode(hashlib.sha256(b"".join(parts)).digest()).decode()
    return whole.hexdigest(), f"{combined}-{len(parts)}"


def _b64(sha256_hex: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(sha256_hex)).decode()
    except ValueError:
        raise ValueError(f"sha256 must be 64 hex digits, got {len(sha256_hex)} chars") from None
