"""Object storage: the `BlobStore` port and its backends (`local` folder, `s3` for AWS S3 and
S3-compatible services), imported lazily by `make_blob_store`."""

from ecan.storage.base import BlobStore, ObjectInfo, PutResult
from ecan.storage.keys import KeyLayout, validate_identity_id

__all__ = ["BlobStore", "ObjectInfo", "PutResult", "KeyLayout", "validate_identity_id"]
