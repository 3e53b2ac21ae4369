"""The avatar library: intake (validation, metadata stripping, thumbnails), storage of record,
system avatars."""
