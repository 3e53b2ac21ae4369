from __future__ import annotations

from pathlib import Path

import pytest

from ecan.config import load_config, write_config
from ecan.errors import ConfigError
from ecan.paths import AppPaths


def _load(tmp_path: Path, yaml_text: str | None = None, **env: str):
    paths = AppPaths(tmp_path)
    if yaml_text is not None:
        paths.default_config.write_text(yaml_text, encoding="utf-8")
    return load_config(paths, env)


def test_no_config_means_local_only(tmp_path: Path) -> None:
    c = _load(tmp_path)
    assert c.storage.kind == "none"
    assert not c.cognito.configured
    assert c.storage.path_prefix == "avatars/"


def test_yaml_sections_are_read(tmp_path: Path) -> None:
    c = _load(tmp_path, """
COGNITO:
  USER_POOL_ID: us-east-1_Abc123
  CLIENT_ID: abc
  IDENTITY_POOL_ID: us-east-1:0a1b2c3d-0000-1111-2222-333344445555
  REGION: us-east-1
STORAGE:
  BUCKET: my-avatars
  REGION: eu-west-1
  ENDPOINT_URL: http://127.0.0.1:9000
SYNC:
  CONCURRENCY: 4
""")
    assert c.cognito.configured and c.cognito.region == "us-east-1"
    assert c.storage.kind == "s3" and c.storage.bucket == "my-avatars"
    assert c.sync.concurrency == 4


@pytest.mark.parametrize("text, setting", [
    ("STORAGE:\n  BUKET: x\n", "STORAGE.BUKET"),
    ("STORAGE:\n  REGION: narnia\n", "STORAGE.REGION"),
    ("STORAGE:\n  BUCKET: b\n", "STORAGE.BUCKET"),
    ("STORAGE:\n  ENDPOINT_URL: localhost:9000\n", "STORAGE.ENDPOINT_URL"),
    ("SYNC:\n  CONCURRENCY: many\n", "SYNC.CONCURRENCY"),
    ("STORAGE:\n  BACKEND: ftp\n", "STORAGE.BACKEND"),
    ("CLOUD:\n  X: 1\n", "CLOUD"),
    ("COGNITO:\n  USER_POOL_ID: nope\n  CLIENT_ID: x\n", "COGNITO.USER_POOL_ID"),
    ("STORAGE: [1, 2\n", "config file"),
    ("STORAGE:\n  PATH_PREFIX: avatars/./\n", "STORAGE.PATH_PREFIX"),
    ("STORAGE:\n  PATH_PREFIX: a//b\n", "STORAGE.PATH_PREFIX"),
    ("STORAGE:\n  PATH_PREFIX: .avatars/\n", "STORAGE.PATH_PREFIX"),
    ("STORAGE:\n  USER_ID: shared\n", "STORAGE.USER_ID"),
])
def test_bad_settings_are_named_with_a_fix(tmp_path: Path, text: str, setting: str) -> None:
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, text)
    assert setting in e.value.message
    assert e.value.hint
    assert e.value.exit_code == 2


def test_environment_overrides_and_precedence(tmp_path: Path) -> None:
    c = _load(tmp_path, "STORAGE:\n  BUCKET: from-file\n",
              AWS_S3_BUCKET="from-aws", AVATAR_CLOUD_BUCKET="from-avatar-cloud",
              AVATAR_CLOUD_PATH_PREFIX="tenant/avatars/",
              AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY="s3cr3t")
    assert c.storage.bucket == "from-avatar-cloud"
    assert c.storage.path_prefix == "tenant/avatars/"
    assert c.storage.access_key == "AKIAEXAMPLE"
    assert "s3cr3t" not in repr(c)


def test_r2_names(tmp_path: Path) -> None:
    c = _load(tmp_path, USE_R2_STORAGE="true", R2_BUCKET="r2-avatars",
              R2_ENDPOINT="https://acct.r2.cloudflarestorage.com", R2_ACCESS_KEY="k",
              R2_SECRET_KEY="s", R2_PUBLIC_URL="https://pub.example.com")
    s = c.storage
    assert (s.kind, s.bucket, s.region, s.is_r2) == ("s3", "r2-avatars", "auto", True)
    assert s.public_url_base == "https://pub.example.com"


def test_missing_ecan_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(AppPaths(tmp_path), {"ECAN_CONFIG": str(tmp_path / "nope.yml")})
    assert "ECAN_CONFIG" in e.value.message


def test_written_config_has_no_secrets(tmp_path: Path) -> None:
    c = _load(tmp_path, "STORAGE:\n  BUCKET: my-avatars\n", AVATAR_CLOUD_ACCESS_KEY="AKIAXXXX",
              AVATAR_CLOUD_SECRET_KEY="topsecretvalue")
    out = tmp_path / "written.yml"
    write_config(c, out)
    text = out.read_text()
    assert "my-avatars" in text
    assert "topsecretvalue" not in text and "AKIAXXXX" not in text
    again = load_config(AppPaths(tmp_path), {"ECAN_CONFIG": str(out)})
    assert again.storage.bucket == "my-avatars"


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, AVATAR_CLOUD_REGION="moon")
    assert "STORAGE.REGION (from AVATAR_CLOUD_REGION)" in e.value.message
    assert "'moon' is not a region" in e.value.message


def test_saving_settings_keeps_a_private_file_private_and_never_writes_a_secret(
        tmp_path: Path) -> None:
    from ecan.config import save_settings

    path = tmp_path / "auth_config.yml"
    path.write_text("STORAGE:\n  SECRET_KEY: mine\n  ACCESS_KEY: AKIAMINE\n", encoding="utf-8")
    path.chmod(0o600)
    save_settings(path, {"STORAGE.BUCKET": "my-avatars"})
    assert path.stat().st_mode & 0o777 == 0o600
    assert "SECRET_KEY: mine" in path.read_text() and "BUCKET: my-avatars" in path.read_text()
    with pytest.raises(ValueError):
        save_settings(path, {"STORAGE.SECRET_KEY": "other"})
    assert "other" not in path.read_text()


@pytest.mark.parametrize(("yaml_text", "env", "setting"), [
    ("STORAGE:\n  BUCKET: my-avatars\n  ENDPOINT_URL: http://minio.example.com:9000\n", {},
     "STORAGE.ENDPOINT_URL"),
    ("STORAGE:\n  BUCKET: my-avatars\n", {"AVATAR_CLOUD_ENDPOINT_URL": "http://10.0.0.5:9000"},
     "STORAGE.ENDPOINT_URL (from AVATAR_CLOUD_ENDPOINT_URL)"),
    ("", {"USE_R2_STORAGE": "1", "R2_BUCKET": "r2-avatars",
          "R2_ENDPOINT": "http://acct.r2.cloudflarestorage.com"},
     "STORAGE.ENDPOINT_URL (from R2_ENDPOINT)"),
    ("COGNITO:\n  USER_POOL_ID: us-east-1_Abc123\n  CLIENT_ID: abc\n"
     "  ENDPOINT_URL: http://cognito.example.com\n", {}, "COGNITO.ENDPOINT_URL"),
    ("", {"GEMINI_BASE_URL": "http://localhost.evil.example"},
     "GEMINI.BASE_URL (from GEMINI_BASE_URL)"),
])
def test_clear_text_http_is_refused_for_any_host_but_this_computer(
        tmp_path: Path, yaml_text: str, env: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, yaml_text, **env)
    assert e.value.message.startswith(setting + ":"), e.value.message
    assert "clear text" in e.value.message and "https://" in e.value.hint


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://127.8.9.1",
                                 "http://[::1]:9000", "http://localhost:9000",
                                 "http://LOCALHOST", "https://minio.example.com"])
def test_http_is_allowed_on_this_computer(tmp_path: Path, url: str) -> None:
    c = _load(tmp_path, f"COGNITO:\n  USER_POOL_ID: us-east-1_Abc123\n  CLIENT_ID: abc\n"
                        f"  ENDPOINT_URL: {url}\nSTORAGE:\n  BUCKET: my-avatars\n"
                        f"  ENDPOINT_URL: {url}\n", GEMINI_BASE_URL=url)
    assert c.storage.endpoint_url == c.cognito.endpoint_url == c.gemini.base_url == url


def test_endpoints_the_environment_redirects_are_listed(tmp_path: Path) -> None:
    from ecan.config import endpoint_redirects

    c = _load(tmp_path, "STORAGE:\n  BUCKET: my-avatars\n",
              AVATAR_CLOUD_ENDPOINT_URL="https://minio.example.com",
              GEMINI_BASE_URL="http://127.0.0.1:8080")
    assert endpoint_redirects(c) == [("AVATAR_CLOUD_ENDPOINT_URL", "https://minio.example.com"),
                                     ("GEMINI_BASE_URL", "http://127.0.0.1:8080")]
    assert endpoint_redirects(_load(tmp_path, "STORAGE:\n  BUCKET: my-avatars\n")) == []


def test_a_prefix_every_key_would_be_refused_under_is_named_with_the_fix(tmp_path: Path) -> None:
    """`a//b` or `avatars/./` once passed, and then every upload failed as an internal error."""
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, AVATAR_CLOUD_PATH_PREFIX="a//b")
    assert "STORAGE.PATH_PREFIX (from AVATAR_CLOUD_PATH_PREFIX)" in e.value.message
    assert "'a//b'" in e.value.message and "empty" in e.value.message
    assert "avatars/" in e.value.hint


def test_user_id_shared_is_refused_it_is_the_system_avatars_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "STORAGE:\n  USER_ID: shared\n")
    assert "STORAGE.USER_ID" in e.value.message and "shared" in e.value.hint


def test_the_gemini_key_by_its_legacy_name(tmp_path: Path) -> None:
    assert _load(tmp_path, NANO_BANANA_API_KEY="old-name").gemini.api_key == "old-name"
    both = _load(tmp_path, NANO_BANANA_API_KEY="old-name", GEMINI_API_KEY="new-name")
    assert both.gemini.api_key == "new-name"  # the current name wins


def test_the_config_is_read_by_libyaml_where_pyyaml_has_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML's pure-Python scanner took ~3 ms of every command's start for the commented
    example config; libyaml's reads it with the same safe constructor: the same values, and a
    syntax error still names its line."""
    import yaml

    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("this PyYAML was built without libyaml")

    class PurePython(yaml.SafeLoader):
        def __init__(self, stream: object) -> None:
            raise AssertionError("the config was read by the pure-Python loader")

    monkeypatch.setattr(yaml, "SafeLoader", PurePython)
    example = (Path(__file__).resolve().parents[2] / "auth_config.yml.example").read_text()
    config = _load(tmp_path, example)
    assert config.storage.bucket == "my-avatars" and config.sync.concurrency == 16
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "STORAGE:\n  BUCKET: [a,\n  REGION: x: y\n")
    assert "is not valid YAML at line 3" in e.value.message


_CLOUD_CONFIG = """# written by ecan cloud deploy
COGNITO:
  USER_POOL_ID: us-east-1_Abc123
  CLIENT_ID: abc
  IDENTITY_POOL_ID: us-east-1:0a1b2c3d-0000-1111-2222-333344445555
  REGION: us-east-1
STORAGE:
  BUCKET: my-avatars
  REGION: eu-west-1
SYNC:
  CONCURRENCY: 4
"""


def _start_reads(tmp_path: Path) -> tuple[str, bool]:
    """What a fresh ecan process makes of the config in `tmp_path`: its bucket and region, and
    whether it had to import PyYAML for them."""
    import json
    import subprocess
    import sys

    code = ("import json, sys\n"
            "from ecan.config import load_config\n"
            "from ecan.paths import AppPaths\n"
            f"c = load_config(AppPaths(__import__('pathlib').Path({str(tmp_path)!r})), {{}})\n"
            "print(json.dumps([c.storage.bucket + ' ' + c.storage.region, 'yaml' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    bucket, yaml_imported = json.loads(out.stdout)
    return bucket, yaml_imported


def test_an_unchanged_config_file_is_not_parsed_again_by_the_next_start(tmp_path: Path) -> None:
    """Importing PyYAML is ~10 ms of every command's start; the file as it was read last time is
    kept in $ECAN_HOME/cache, and a start whose file is unchanged takes it from there."""
    (tmp_path / "auth_config.yml").write_text(_CLOUD_CONFIG, encoding="utf-8")
    assert _start_reads(tmp_path) == ("my-avatars eu-west-1", True)
    assert _start_reads(tmp_path) == ("my-avatars eu-west-1", False)


def test_the_kept_config_reads_the_same_as_the_file(tmp_path: Path) -> None:
    example = (Path(__file__).resolve().parents[2] / "auth_config.yml.example").read_text()
    flow = '{"STORAGE": {"BUCKET": "b-1", "REGION": "us-east-1"}, "SYNC": {"CONCURRENCY": 2}}'
    for text in (_CLOUD_CONFIG, example, "", "# nothing yet\n", "SYNC:\n", flow):
        first, again = _load(tmp_path, text), _load(tmp_path, text)
        assert again == first and again.env_overrides == first.env_overrides


def test_an_edited_config_file_is_read_again_even_with_the_same_size_and_time(
        tmp_path: Path) -> None:
    import os

    path = tmp_path / "auth_config.yml"
    assert _load(tmp_path, _CLOUD_CONFIG).storage.region == "eu-west-1"
    stat = path.stat()
    path.write_text(_CLOUD_CONFIG.replace("eu-west-1", "eu-west-2"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert load_config(AppPaths(tmp_path), {}).storage.region == "eu-west-2"


def test_a_damaged_config_cache_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "config.json"
    for junk in (b"\xff{not json", b"[1, 2]", b'{"text": 3}', b""):
        cache.parent.mkdir(exist_ok=True)
        cache.write_bytes(junk)
        assert _load(tmp_path, _CLOUD_CONFIG).sync.concurrency == 4
    bad = _CLOUD_CONFIG.replace("CONCURRENCY: 4", "CONCURRENCY: many")
    with pytest.raises(ConfigError) as e:  # a bad file is reported, cache or not
        _load(tmp_path, bad)
    assert "SYNC.CONCURRENCY" in e.value.message


def test_the_config_cache_is_private_and_never_holds_a_secret(tmp_path: Path) -> None:
    _load(tmp_path, _CLOUD_CONFIG)
    cache = tmp_path / "cache" / "config.json"
    assert cache.stat().st_mode & 0o777 == 0o600
    assert cache.parent.stat().st_mode & 0o777 == 0o700
    with_keys = _CLOUD_CONFIG.replace(
        "STORAGE:\n", "STORAGE:\n  ACCESS_KEY: AKIAMINE\n  SECRET_KEY: mine-secret-value\n")
    assert _load(tmp_path, with_keys).storage.secret_key == "mine-secret-value"
    assert _load(tmp_path, with_keys).storage.secret_key == "mine-secret-value"
    for f in (tmp_path / "cache").iterdir():
        assert b"mine-secret-value" not in f.read_bytes() and b"AKIAMINE" not in f.read_bytes()
