"""Published system avatars on the engine's side, against the in-memory BlobStore twin and a real
SQLite library: the background loop (what the window runs) brings a published avatar and
announces it, so the window shows it; a bad manifest or a picture that is not what the manifest
says changes nothing; a second look fetches nothing."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from pathlib import Path

import pytest
from PIL import Image

from ecan.avatars import imaging
from ecan.avatars.library import AvatarLibrary
from ecan.avatars.system_manifest import MAX_MANIFEST, SystemEntry, dumps
from ecan.config import SyncConfig
from ecan.db import Database
from ecan.paths import AppPaths
from ecan.storage.memory import MemoryBlobStore
from ecan.sync.engine import SyncEngine
from ecan.sync.events import JobFinished, SyncEvent
from ecan.sync.system_pull import pull_system_avatars
from ecan.sync.testing import CloudTwin

PREFIX = "avatars/"


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths(tmp_path / "home").ensure()


@pytest.fixture
def db(paths: AppPaths) -> Database:
    return Database(paths.database)


@pytest.fixture
def store() -> MemoryBlobStore:
    return MemoryBlobStore()


@pytest.fixture
def cloud(store: MemoryBlobStore) -> CloudTwin:
    return CloudTwin(store, prefix=PREFIX)


def publish(store: MemoryBlobStore, name: str, colour: tuple[int, int, int],
            tamper: bytes | None = None) -> SystemEntry:
    """What `ecan cloud publish-system` puts in the cloud for one picture (and the manifest)."""
    buf = io.BytesIO()
    Image.new("RGB", (80, 80), colour).save(buf, "PNG")
    prepared = imaging.prepare(buf.getvalue(), f"{name}.png")
    entry = SystemEntry(name, "png", hashlib.sha256(prepared.data).hexdigest(),
                        len(prepared.data))
    store.put_bytes(PREFIX + entry.key, tamper or prepared.data, content_type="image/png")
    store.put_bytes(PREFIX + "shared/system/manifest.json", dumps([entry], 1.0),
                    content_type="application/json")
    return entry


def system_names(db: Database, paths: AppPaths) -> list[str]:
    return sorted(a.name for a in AvatarLibrary(paths, db).list(resource_type="system"))


def test_the_background_loop_brings_a_published_avatar_and_announces_it(
        db: Database, paths: AppPaths, cloud: CloudTwin, store: MemoryBlobStore) -> None:
    publish(store, "zephyr", (200, 120, 40))
    events: list[SyncEvent] = []
    arrived = threading.Event()

    def sink(event: SyncEvent) -> None:
        events.append(event)
        if isinstance(event, JobFinished) and event.kind == "system":
            arrived.set()

    engine = SyncEngine(db, paths, cloud, SyncConfig(concurrency=1))
    try:
        engine.start(sink)
        engine.wake()
        assert arrived.wait(20)
    finally:
        engine.close()
    [announced] = [e for e in events if isinstance(e, JobFinished) and e.kind == "system"]
    library = AvatarLibrary(paths, db)
    avatar = library.get(str(announced.avatar_id))
    assert avatar.name == "zephyr" and avatar.resource_type == "system"
    assert avatar.cloud_image_key == "shared/system/zephyr.png"
    assert (paths.home / avatar.image_path).is_file()
    # It arrives synced: nothing of it is queued to upload into the user's own folder.
    assert not [k for k in store.objects if "/images/" in k]


def test_a_tampered_picture_or_a_bad_manifest_change_nothing(
        db: Database, paths: AppPaths, cloud: CloudTwin, store: MemoryBlobStore) -> None:
    library = AvatarLibrary(paths, db)
    publish(store, "mallory", (10, 10, 10), tamper=b"\x89PNG\r\n\x1a\n not the manifest's")
    result = pull_system_avatars(cloud.open(), lambda: library)
    assert result.published and result.added == [] and result.failed == 1
    assert "does not match its checksum" in result.warnings[0]

    store.put_bytes(PREFIX + "shared/system/manifest.json", b"{" * (MAX_MANIFEST + 1),
                    content_type="application/json")
    result = pull_system_avatars(cloud.open(), lambda: library)
    assert not result.published and "byte limit" in result.warnings[0]

    store.put_bytes(PREFIX + "shared/system/manifest.json",
                    json.dumps({"v": 1, "avatars": [{"name": "../x", "ext": "png",
                                                     "sha256": "0" * 64, "bytes": 5}]}).encode(),
                    content_type="application/json")
    result = pull_system_avatars(cloud.open(), lambda: library)
    assert not result.published and "invalid" in result.warnings[0]
    assert "mallory" not in system_names(db, paths)  # the bundled set only


def test_without_a_manifest_nothing_is_fetched_and_a_second_look_fetches_nothing(
        db: Database, paths: AppPaths, cloud: CloudTwin, store: MemoryBlobStore) -> None:
    library = AvatarLibrary(paths, db)
    result = pull_system_avatars(cloud.open(), lambda: library)
    assert not result.published and result.added == [] and result.warnings == []
    publish(store, "quill", (30, 160, 90))
    assert len(pull_system_avatars(cloud.open(), lambda: library).added) == 1
    assert pull_system_avatars(cloud.open(), lambda: library).added == []
    assert system_names(db, paths).count("quill") == 1


