"""The library end to end on real files and a real SQLite database: every corpus file reported,
disk and database agree, duplicates collapse, a failed write leaves nothing, delete tombstones,
system avatars, videos, and the `ecan import/list/delete` commands in a subprocess."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from ecan.db.models import Avatar, JobStatus, OutboxJob
from ecan.errors import UserFacingError
from tests.corpus.make_corpus import Expect, files, write_corpus, write_many
from tests.corpus.videos import make_video

Corpus = tuple[Path, dict[str, Expect]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, write_corpus(folder)
REPO = Path(__file__).resolve().parents[2]


def rows(app: Any) -> list[Avatar]:
    with app.db.session() as s:
        return list(s.exec(select(Avatar)))


def jobs(app: Any) -> list[OutboxJob]:
    with app.db.session() as s:
        return list(s.exec(select(OutboxJob).order_by(OutboxJob.id)))


def files_under(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def assert_disk_matches_db(app: Any) -> None:
    """Every row's files exist, and no file exists without a row."""
    paths = app.paths
    avatars = rows(app)
    expected_images = {Path(a.image_path).name for a in avatars if a.resource_type == "uploaded"}
    assert files_under(paths.uploaded) == expected_images
    expected_thumbs = {Path(p).name for a in avatars for p in (a.thumb_path, a.thumb_small_path)}
    assert files_under(paths.thumbnails) == expected_thumbs
    assert files_under(paths.tmp) == set()
    for a in avatars:
        assert (paths.home / a.image_path).is_file()


def test_corpus_import_reports_every_file(app: Any, corpus: Corpus) -> None:
    folder, expected = corpus
    seen: list[tuple[int, int]] = []
    # Named one by one, every file is tried and reported (a folder walk would skip the
    # files that are not pictures: see test_a_folder_walk_skips_what_is_not_a_picture).
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    outcomes = app.library.import_paths(files, progress=lambda d, t: seen.append((d, t)))
    by_name = {Path(o.path).name: o for o in outcomes}
    assert set(by_name) == set(expected)
    for name, expect in expected.items():
        o = by_name[name]
        assert o.ok == expect.ok, (name, o.error)
        if not expect.ok:
            assert o.code == expect.code and o.error and name in o.error
    assert seen[-1] == (len(expected), len(expected))
    uploaded = [a for a in rows(app) if a.resource_type == "uploaded"]
    assert len(uploaded) == sum(e.ok for e in expected.values())
    # One upload job per imported avatar, none for refused files.
    assert sorted(j.avatar_id for j in jobs(app)) == sorted(a.id for a in uploaded)
    assert_disk_matches_db(app)


def test_a_folder_walk_skips_what_is_not_a_picture(corpus: Corpus) -> None:
    from ecan.avatars.walk import MEDIA_EXTS, walk

    folder, expected = corpus
    found = walk([folder])
    assert {p.name for p in found.files} == {
        n for n in expected if Path(n).suffix.lower() in MEDIA_EXTS}
    assert {p.name for p in found.skipped} == {
        n for n in expected if Path(n).suffix.lower() not in MEDIA_EXTS}


def test_same_picture_twice_is_one_avatar(app: Any, corpus: Corpus, tmp_path: Path) -> None:
    folder, _ = corpus
    first = app.library.import_file(folder / "good.png")
    again = app.library.import_file(folder / "good.png")
    assert first.created and not again.created and again.avatar.id == first.avatar.id
    # Same pixels, different private metadata: the stored (stripped) bytes are the same.
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone")
    with Image.open(folder / "good.png") as im:
        im.save(tmp_path / "copy.png", pnginfo=info)
        im.save(tmp_path / "plain.png")
    a = app.library.import_file(tmp_path / "plain.png")
    b = app.library.import_file(tmp_path / "copy.png")
    assert a.avatar.id == b.avatar.id and not b.created
    # A folder holding the same file twice, imported in parallel.
    twin = tmp_path / "twins"
    twin.mkdir()
    for i in range(6):
        (twin / f"{i}.jpg").write_bytes((folder / "good.jpg").read_bytes())
    outcomes = app.library.import_paths([twin])
    assert len({o.avatar_id for o in outcomes}) == 1 and all(o.ok for o in outcomes)
    # good.png re-saved by Pillow is byte-identical to it: two avatars in all.
    assert len([a for a in rows(app) if a.resource_type == "uploaded"]) == 2
    assert_disk_matches_db(app)


def test_failed_database_write_leaves_nothing(app: Any, corpus: Corpus) -> None:
    folder, _ = corpus
    app.library.list()  # system avatars in first, so only the failing import is in play
    before = (files_under(app.paths.uploaded), files_under(app.paths.thumbnails), len(rows(app)))
    conn = sqlite3.connect(app.paths.database)
    # A real failure inside the transaction, after the avatar row was inserted.
    conn.execute("CREATE TRIGGER fail BEFORE INSERT ON outbox "
                 "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    conn.commit()
    with pytest.raises(UserFacingError) as err:
        app.library.import_file(folder / "good.jpg")
    assert err.value.code == "storage_failed" and "good.jpg" in err.value.message
    outcomes = app.library.import_paths([folder / "good.png", folder / "still.gif"])
    assert [o.code for o in outcomes] == ["storage_failed", "storage_failed"]
    after = (files_under(app.paths.uploaded), files_under(app.paths.thumbnails), len(rows(app)))
    assert after == before and files_under(app.paths.tmp) == set()
    conn.execute("DROP TRIGGER fail")
    conn.commit()
    conn.close()
    assert app.library.import_file(folder / "good.jpg").created
    assert_disk_matches_db(app)


def test_delete_removes_files_and_queues_the_cloud_delete(app: Any, corpus: Corpus) -> None:
    folder, _ = corpus
    a = app.library.import_file(folder / "good.png").avatar
    b = app.library.import_file(folder / "good.jpg").avatar
    with app.db.session() as s:  # b's upload is in flight: the guarded delete keeps it
        job = s.exec(select(OutboxJob).where(OutboxJob.avatar_id == b.id)).one()
        job.status = JobStatus.IN_FLIGHT.value
        s.add(job)
    app.library.delete(a.id)
    app.library.delete(b.id)
    app.library.purge_trash(older_than_s=-1)  # the trash kept its files
    assert rows(app) == [] or all(r.resource_type == "system" for r in rows(app))
    kinds = [(j.kind, j.avatar_id, j.status) for j in jobs(app)]
    assert ("upload", a.id, 0) not in kinds  # never uploaded: its waiting upload is dropped
    assert ("upload", b.id, 1) in kinds
    delete_jobs = [j for j in jobs(app) if j.kind == "delete"]
    assert [j.avatar_id for j in delete_jobs] == [a.id, b.id]
    assert json.loads(delete_jobs[0].payload)["sha256"] == a.sha256
    assert json.loads(delete_jobs[0].payload)["ext"] == "png"
    assert_disk_matches_db(app)
    with pytest.raises(UserFacingError) as err:
        app.library.delete(a.id)
    assert err.value.code == "not_found"


def test_system_avatars_are_registered_once_and_read_only(app: Any) -> None:
    system = app.library.system_avatars()
    shipped = sorted(p.stem for p in (REPO / "ecan" / "assets" / "system_avatars").glob("*.png"))
    assert len(shipped) >= 6 and sorted(a.name for a in system) == shipped
    assert all(a.sync_state == "synced" for a in system) and jobs(app) == []
    d = app.library.to_dict(system[0], cloud_configured=True, prefix="tenant/avatars/")
    assert d["cloud_image_key"] == f"tenant/avatars/shared/system/{system[0].name}.png"
    assert d["read_only"] and Path(d["thumb_path"]).is_file()
    with pytest.raises(UserFacingError) as err:
        app.library.delete(system[0].id)
    assert err.value.code == "read_only"
    from ecan.avatars.library import AvatarLibrary

    again = AvatarLibrary(app.paths, app.db)  # a second start: nothing new
    assert len(again.system_avatars()) == len(shipped)


def mp4_bytes(size: int = 5000) -> bytes:
    head = struct.pack(">I", 24) + b"ftypisom" + b"\0\0\x02\0" + b"isomavc1"
    return head + b"\0" * (size - len(head))


def test_attach_video(app: Any, corpus: Corpus, tmp_path: Path) -> None:
    folder, _ = corpus
    avatar = app.library.import_file(folder / "good.png").avatar
    video = tmp_path / "clip.bin"  # the name says nothing: the content decides
    make_video(video, frames=24, rate=12)
    updated = app.library.attach_video(avatar.id, video)
    assert updated.video_ext == "mp4" and updated.video_bytes == video.stat().st_size
    assert updated.video_duration == pytest.approx(2.0, abs=0.1)
    assert (app.paths.home / updated.video_path).read_bytes() == video.read_bytes()
    broken = tmp_path / "header_only.mp4"  # the magic bytes of an MP4, nothing behind them
    broken.write_bytes(mp4_bytes())
    with pytest.raises(UserFacingError) as err:
        app.library.attach_video(avatar.id, broken)
    assert err.value.code == "invalid_video"
    assert len([j for j in jobs(app) if j.status == 0 and j.kind == "upload"]) == 1
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video")
    with pytest.raises(UserFacingError) as err:
        app.library.attach_video(avatar.id, fake)
    assert err.value.code == "unsupported_format" and "fake.mp4" in err.value.message
    assert files_under(app.paths.tmp) == set()
    app.library.delete(avatar.id)
    app.library.purge_trash(older_than_s=-1)  # the trash kept its files
    assert files_under(app.paths.videos) == set()
    assert json.loads(jobs(app)[-1].payload)["video_ext"] == "mp4"


def test_upload_handler_accepts_base64_and_refuses_bad_input(app: Any) -> None:
    data = files()["good.webp"][0]
    payload = {"fileData": "data:image/webp;base64," + base64.b64encode(data).decode(),
               "filename": "from-web.webp"}
    r = app.handlers.call("avatar.upload_avatar", payload)
    assert r["ok"] and r["data"]["created"] and r["data"]["avatar"]["format"] == "WEBP"
    assert r["data"]["avatar"]["sync_state"] == "local"  # no cloud configured
    assert "avatars" in r["changed"]
    bad = app.handlers.call("avatar.upload_avatar", {"fileData": "@@@", "filename": "x.png"})
    assert bad["error"]["code"] == "invalid_request"
    svg = base64.b64encode(b"<svg><script>alert(1)</script></svg>").decode()
    refused = app.handlers.call("avatar.upload_avatar", {"fileData": svg, "filename": "x.svg"})
    assert refused["error"]["code"] == "unsupported_format"
    both = app.handlers.call("avatar.upload_avatar", {"path": "/x", "fileData": svg})
    assert both["error"]["code"] == "invalid_request"
    listed = app.handlers.call("avatar.list", {"query": "from-web"})["data"]["avatars"]
    assert [a["name"] for a in listed] == ["from-web"]


def test_a_folder_of_two_thousand_files(app: Any, tmp_path: Path) -> None:
    write_many(tmp_path / "dump", 2000)
    started = time.perf_counter()
    outcomes = app.library.import_paths([tmp_path / "dump"])
    took = time.perf_counter() - started
    assert len(outcomes) == 2000 and all(o.ok for o in outcomes)
    assert len({o.avatar_id for o in outcomes}) == 2000
    print(f"2000 tiny files imported in {took:.1f} s")  # reported, not asserted


def run_ecan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecan", *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd=REPO)


def test_cli_import_list_delete(clean_env: dict[str, str], corpus: Corpus) -> None:
    folder, expected = corpus
    env = {**clean_env, "PYTHONPATH": str(REPO)}
    r = run_ecan(env, "import", str(folder), "--json")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    from ecan.avatars.walk import MEDIA_EXTS

    report = json.loads(r.stdout)
    results = report["results"]
    pictures = {n for n in expected if Path(n).suffix.lower() in MEDIA_EXTS}
    assert {Path(x["path"]).name for x in results} == pictures
    assert {Path(x).name for x in report["skipped"]} == set(expected) - pictures
    assert all({"path", "ok", "avatar_id", "error"} <= set(x) for x in results)
    assert sum(x["ok"] for x in results) == sum(e.ok for n, e in expected.items()
                                                if n in pictures)

    listed = json.loads(run_ecan(env, "list", "--json").stdout)["avatars"]
    home = Path(clean_env["ECAN_HOME"])
    on_disk = {p.stem for p in (home / "resource/avatars/uploaded").iterdir()}
    # An iPhone photo comes in, stored as a JPEG that any viewer (and any agent) can show.
    heic = next(x for x in results if Path(x["path"]).name == "iphone.heic")
    assert heic["ok"], heic["error"]
    heic_sha = next(a["sha256"] for a in listed if a["id"] == heic["avatar_id"])
    assert (home / "resource/avatars/uploaded" / f"{heic_sha}.jpg").is_file()
    assert {a["sha256"] for a in listed if a["resource_type"] == "uploaded"} == on_disk
    assert {x["avatar_id"] for x in results if x["ok"]} == {
        a["id"] for a in listed if a["resource_type"] == "uploaded"}
    assert all(a["sync_state"] == ("synced" if a["resource_type"] == "system" else "local")
               for a in listed)

    good = run_ecan(env, "import", str(folder / "good.png"))
    assert good.returncode == 0 and "0 new, 1 already in the library" in good.stdout
    target = next(a for a in listed if a["resource_type"] == "uploaded")
    saved = run_ecan(env, "agent", "save", "Helper", "--avatar", target["id"], "--json")
    assert saved.returncode == 0
    assert json.loads(saved.stdout)["agents"][0]["avatar_id"] == target["id"]
    refused = run_ecan(env, "delete", target["id"])
    assert refused.returncode == 1 and "Helper" in refused.stderr
    other = next(a for a in listed if a["resource_type"] == "uploaded" and a is not target)
    d = run_ecan(env, "delete", other["id"], "--json")
    assert d.returncode == 0 and json.loads(d.stdout) == {"deleted": other["id"]}
    # Gone from the list, into the trash (its file kept until the trash is emptied).
    assert other["id"] not in [a["id"] for a in json.loads(
        run_ecan(env, "list", "--json").stdout)["avatars"]]
    trash = json.loads(run_ecan(env, "trash", "--json").stdout)["avatars"]
    assert [a["id"] for a in trash] == [other["id"]]
    assert os.listdir(home / "tmp") == []


def test_generated_avatars_and_paths_that_are_not_files(app: Any, tmp_path: Path) -> None:
    data = files()["good.png"][0]
    gen = app.library.import_bytes(data, "gen.png", resource_type="generated",
                                   name="Robot", generation_params={"prompt": "a robot"})
    assert gen.avatar.image_path.startswith("resource/avatars/generated/")
    assert json.loads(gen.avatar.generation_params) == {"prompt": "a robot"}
    assert app.library.list(query="robot")[0].id == gen.avatar.id
    assert app.library.list(resource_type="generated")[0].id == gen.avatar.id
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # reading it would block: it is refused from its stat alone
    outcomes = app.library.import_paths([tmp_path / "missing.png", fifo])
    assert [o.code for o in outcomes] == ["not_found", "unsupported_format"]
    assert all(Path(o.path).name in (o.error or "") for o in outcomes)


def test_rename_and_tag_an_avatar(app: Any) -> None:
    aid = app.library.import_bytes(files()["good.png"][0], "good.png").avatar.id
    with app.db.session() as s:  # pretend it reached the cloud
        a = s.get(Avatar, aid)
        a.sync_state = "synced"
        s.add(a)
        for j in s.exec(select(OutboxJob)):
            j.status = JobStatus.DONE.value
            s.add(j)
    r = app.handlers.call("avatar.update", {"id": aid, "name": " Team  lead ",
                                            "tags": ["work", "work", " blue "]})
    assert r["ok"], r
    assert r["data"]["name"] == "Team lead" and r["data"]["tags"] == ["work", "blue"]
    # The new name must reach the cloud ("local" is how queued shows with no cloud set up).
    assert r["data"]["sync_state"] == "local" and app.library.get(aid).sync_state == "queued"
    assert len([j for j in jobs(app) if j.status == 0 and j.kind == "upload"]) == 1
    assert [a.id for a in app.library.list(query="blue")] == [aid]
    system = app.library.system_avatars()[0]
    refused = app.handlers.call("avatar.update", {"id": system.id, "name": "mine"})
    assert refused["error"]["code"] == "read_only"
    empty = app.handlers.call("avatar.update", {"id": aid, "name": "   "})
    assert empty["error"]["code"] == "invalid_name"
    # One limit for a description, said the same whatever the length (it once told 4001
    # characters to shorten to 4000, and 2500 that the limit was 2000).
    for length in (2001, 4001):
        long = app.handlers.call("avatar.update", {"id": aid, "description": "d" * length})
        assert long["error"]["hint"] == "Shorten it to 2000 characters or fewer.", long
    assert app.handlers.call("avatar.update", {"id": aid, "description": "d" * 2000})["ok"]


def test_a_video_shared_by_two_avatars_stays_until_the_last_goes(app: Any,
                                                                  tmp_path: Path) -> None:
    a = app.library.import_bytes(files()["good.png"][0], "a.png").avatar
    b = app.library.import_bytes(files()["good.jpg"][0], "b.jpg").avatar
    clip = make_video(tmp_path / "clip.mp4")
    app.library.attach_video(a.id, clip)
    app.library.attach_video(b.id, clip)
    app.library.delete(a.id)
    app.library.purge_trash(older_than_s=-1)  # the trash kept its files
    assert len(files_under(app.paths.videos)) == 1
    assert json.loads(jobs(app)[-1].payload)["video_sha256"] is None  # the cloud copy stays
    app.library.delete(b.id)
    app.library.purge_trash(older_than_s=-1)  # the trash kept its files
    assert files_under(app.paths.videos) == set()
    assert json.loads(jobs(app)[-1].payload)["video_sha256"]


def test_cli_edit_renames_tags_and_describes(clean_env: dict[str, str], tmp_path: Path) -> None:
    env = {**clean_env, "PYTHONPATH": str(REPO)}
    picture = tmp_path / "IMG_4242.png"
    picture.write_bytes(files()["good.png"][0])
    avatar_id = json.loads(run_ecan(env, "import", str(picture), "--json").stdout
                           )["results"][0]["avatar_id"]
    r = run_ecan(env, "edit", avatar_id, "--name", "Support bot", "--tags", "friendly, blue,,",
                 "--description", "Greets customers", "--json")
    assert r.returncode == 0, r.stderr
    avatar = json.loads(r.stdout)["avatar"]
    assert (avatar["id"], avatar["name"], avatar["tags"], avatar["description"]) == (
        avatar_id, "Support bot", ["friendly", "blue"], "Greets customers")
    # Search finds it by a tag; the list shows the new name.
    listed = json.loads(run_ecan(env, "list", "--json").stdout)["avatars"]
    assert next(a["name"] for a in listed if a["id"] == avatar_id) == "Support bot"
    from ecan.app import build_app

    app = build_app(env)
    try:
        found = app.handlers.call("avatar.list", {"query": "friendly"})["data"]["avatars"]
    finally:
        app.close()
    assert [a["id"] for a in found] == [avatar_id]
    # Only what is given changes; "" clears.
    r = run_ecan(env, "edit", avatar_id, "--tags", "", "--json")
    assert json.loads(r.stdout)["avatar"]["tags"] == []
    assert json.loads(r.stdout)["avatar"]["name"] == "Support bot"
    human = run_ecan(env, "edit", avatar_id, "--name", "Greeter")
    assert human.returncode == 0 and "Greeter" in human.stdout
    missing = run_ecan(env, "edit", "no-such-id", "--name", "x", "--json")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["error"]["code"] == "not_found"
    nothing = run_ecan(env, "edit", avatar_id)
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr


def _seed_rows(app: Any, n: int) -> None:
    """n avatar rows straight into SQLite (the list reads rows; no files are needed)."""
    app.handlers.call("avatar.list", {})  # the database and the system avatars
    now = time.time()
    conn = sqlite3.connect(app.paths.database)
    conn.executemany(
        "INSERT INTO avatar (id, name, resource_type, sha256, format, ext, mime_type, width, "
        "height, bytes, original_filename, tags, description, image_path, thumb_path, "
        "thumb_small_path, sync_state, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(f"{i:032x}", f"avatar {i:05d}" + (" 50%_off/a" if i % 7 == 0 else ""), "uploaded",
          f"{i:064x}", "PNG", "png", "image/png", 512, 512, 20_000, f"a{i}.png",
          '["t1", "t2"]' if i % 3 == 0 else "[]", "d" * (i % 5),
          f"resource/avatars/uploaded/{i:064x}.png",
          f"resource/avatars/thumbnails/{i:064x}_256.png",
          f"resource/avatars/thumbnails/{i:064x}_64.png",
          ("synced", "queued", "failed")[i % 3], now - i, now - i) for i in range(n)])
    conn.commit()
    conn.close()


def test_listing_a_large_library_is_what_reading_each_avatar_gives(app: Any) -> None:
    """The list the window shows is, row for row, what `avatar.get` says of each avatar (in
    the library's order, searches with LIKE's special characters taken literally)."""
    _seed_rows(app, 300)
    for query, kind in (("", None), ("50%_off/", None), ("_", "uploaded"), ("", "system"),
                        ("avatar 0001", None), ("t2", None)):
        req: dict[str, Any] = {"query": query}
        if kind:
            req["resource_type"] = kind
        listed = app.handlers.call("avatar.list", req)["data"]["avatars"]
        each = [app.handlers.call("avatar.get", {"id": a["id"]})["data"] for a in listed]
        assert listed == each
        expected = [a.id for a in app.library.list(query=query, resource_type=kind)]
        assert [a["id"] for a in listed] == expected, (query, kind)
    assert len(app.handlers.call("avatar.list", {"query": "50%_off/"})["data"]["avatars"]) == 43


def _tracing(connect: Callable[..., sqlite3.Connection],
             statements: list[str]) -> Callable[..., sqlite3.Connection]:
    """`connect`, with every statement its connections run appended to `statements`."""
    def traced(*args: Any) -> sqlite3.Connection:
        conn = connect(*args)
        conn.set_trace_callback(statements.append)
        return conn
    return traced


def test_a_page_of_the_gallery_is_read_down_an_index(app: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Scrolling the gallery asks for one page at a time; each page's query used to sort the
    whole table first (~35 ms a page at 100,000 avatars, on the window's scroll path). Now the
    page is the right slice of the library's order, and SQLite reads it down an index."""
    _seed_rows(app, 300)
    whole = [a["id"] for a in app.handlers.call("avatar.list", {})["data"]["avatars"]]
    statements: list[str] = []
    connect = app.library.db.connect
    monkeypatch.setattr(app.library.db, "connect", _tracing(connect, statements))
    page = app.handlers.call("avatar.list", {"offset": 100, "limit": 50})["data"]
    assert [a["id"] for a in page["avatars"]] == whole[100:150]
    assert page["more"] is True
    listing = [s for s in statements if "ORDER BY" in s and "LIMIT" in s]
    assert listing, statements
    conn = connect()
    try:
        plan = " / ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + listing[0]))
    finally:
        conn.close()
    assert "TEMP B-TREE" not in plan, plan


def test_the_librarys_counts_are_read_from_an_index(app: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The counts a window shows as it opens (by sync state in the status bar, by kind on the
    first page of the gallery, the built-in avatars) read the whole avatar table: at 100,000
    avatars, started cold, 130-190 ms each before the window settled. Now they come right, from
    ix_avatar_counts, and SQLite sorts nothing."""
    from ecan.db import sync_state

    _seed_rows(app, 300)  # uploaded: synced, queued, failed in turn
    conn = sqlite3.connect(app.paths.database)
    conn.execute("UPDATE avatar SET resource_type = 'generated' WHERE name LIKE '%5'")
    conn.execute("UPDATE avatar SET deleted_at = 1 WHERE name LIKE '%7'")  # in the trash
    conn.commit()
    mine = conn.execute("SELECT resource_type, sync_state FROM avatar WHERE deleted_at IS NULL "
                        "AND resource_type != 'system'").fetchall()
    system = conn.execute("SELECT COUNT(*) FROM avatar WHERE resource_type = 'system'"
                          ).fetchone()[0]
    conn.close()
    statements: list[str] = []
    library_connect = app.library.db.connect
    monkeypatch.setattr(sync_state, "connect", _tracing(sync_state.connect, statements))
    monkeypatch.setattr(app.library.db, "connect", _tracing(library_connect, statements))
    outbox = sync_state.Outbox(app.paths.database)
    try:
        assert outbox.avatar_counts() == {
            state: sum(1 for _, s in mine if s == state)
            for state in ("queued", "syncing", "synced", "failed")}
        assert outbox.system_count() == system > 0
    finally:
        outbox.close()
    page = app.handlers.call("avatar.list", {"limit": 10})["data"]
    assert page["counts"] == {"system": system,
                              "uploaded": sum(1 for t, _ in mine if t == "uploaded"),
                              "generated": sum(1 for t, _ in mine if t == "generated")}
    counting = [s for s in statements if "COUNT(*)" in s and "FROM avatar" in s]
    assert len(counting) == 3, statements
    conn = library_connect()
    try:
        for statement in counting:
            plan = " / ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + statement))
            assert "COVERING INDEX ix_avatar_counts" in plan and "TEMP B-TREE" not in plan, \
                (statement, plan)
    finally:
        conn.close()


def test_the_window_reads_avatars_while_sync_holds_the_write_lock(
        app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window fetches changed cards (`avatar.get_many`, `avatar.get`) while the sync
    service records outcomes in another process. Reads took the write lock too, so each one
    queued behind the sync's writes (and, with the lock held long enough, failed). Now a read
    needs no write lock: it answers while another process holds it."""
    import ecan.db.database as database

    _seed_rows(app, 3)
    ids = [a["id"] for a in app.handlers.call("avatar.list", {})["data"]["avatars"]][:2]
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 300)  # fail fast if a read waits
    app.db.dispose()  # new connections, with the short timeout
    writer = sqlite3.connect(app.paths.database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE avatar SET name = 'renamed' WHERE id = ?", (ids[0],))
        many = app.handlers.call("avatar.get_many", {"ids": ids})
        one = app.handlers.call("avatar.get", {"id": ids[1]})
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert many["ok"] and sorted(a["id"] for a in many["data"]["avatars"]) == sorted(ids)
    assert {a["name"] for a in many["data"]["avatars"]} != {"renamed"}  # not committed: unseen
    assert one["ok"] and one["data"]["id"] == ids[1]


def test_listing_a_large_library_takes_the_memory_of_its_answer_only(app: Any) -> None:
    """A 100,000-avatar window held 550-620 MB: the list built an ORM object per row on the
    way to the dicts it returns. Peak memory while listing is now about the answer's own
    (some 2 KB an avatar), not twice that."""
    import tracemalloc

    n = 3000
    _seed_rows(app, n)
    app.handlers.call("avatar.list", {})  # once first: system avatars, imports, caches
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        listed = app.handlers.call("avatar.list", {})["data"]["avatars"]
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert len(listed) >= n
    assert peak / len(listed) < 3 * 1024, f"{peak / len(listed):.0f} bytes per avatar"
