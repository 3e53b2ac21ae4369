"""Configuration (contract): `auth_config.yml` (COGNITO, STORAGE, plus SYNC and GEMINI) overlaid by
the environment names the reference systems use. Validated at load; a bad setting is a ConfigError
naming it and the fix."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ecan.errors import ConfigError
from ecan.paths import PRIVATE_DIR, AppPaths, replace_private_file
from ecan.storage.keys import SHARED, validate_prefix

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "avatars/"
REGION_RE = re.compile(r"^(auto|[a-z]{2}(-gov)?-[a-z]+-\d)$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
POOL_ID_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d_[0-9A-Za-z]+$")
IDENTITY_POOL_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d:[0-9a-f-]+$")


# One callback for the hosted UI, shared by `ecan cloud deploy` (the app client's callback URL)
# and the desktop's listener: Cognito allows plain http only for `localhost`, and wants an exact
# match. The listener itself binds 127.0.0.1 (RFC 8252 section 8.3).
DEFAULT_CALLBACK_PORT = 47615
CALLBACK_PATH = "/callback"


def callback_url(port: int = DEFAULT_CALLBACK_PORT) -> str:
    return f"http://localhost:{port}{CALLBACK_PATH}"


@dataclass(frozen=True)
class CognitoConfig:
    user_pool_id: str = ""
    client_id: str = ""
    identity_pool_id: str = ""
    region: str = ""
    domain: str = ""
    endpoint_url: str = ""
    # USER_SRP_AUTH (default, the password never leaves the machine) or USER_PASSWORD_AUTH.
    auth_flow: str = "USER_SRP_AUTH"
    # The hosted UI sends the browser back to callback_url(port). Real Cognito matches the
    # callback URL exactly, port included, so the default is the one `ecan cloud deploy`
    # registers; 0 (any free port, RFC 8252) suits only a pool that accepts any port.
    callback_port: int = DEFAULT_CALLBACK_PORT

    @property
    def configured(self) -> bool:
        return bool(self.user_pool_id and self.client_id)


@dataclass(frozen=True)
class StorageConfig:
    backend: str = ""  # "", "local" or "s3"; "" means: s3 if a bucket is set, else local-only
    bucket: str = ""
    region: str = ""
    endpoint_url: str = ""
    path_prefix: str = DEFAULT_PREFIX
    cdn_domain: str = ""
    public_url_base: str = ""
    local_path: str = ""
    # Static keys: the fallback when no identity pool is configured (R2, MinIO). From the
    # environment, a user-written config, or the keyring (Settings keeps them there); ecan
    # never writes them into a file.
    access_key: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    is_r2: bool = False
    # Non-Cognito modes have no identity id; this names the folder under the prefix.
    user_id: str = "default"

    @property
    def kind(self) -> str:
        """The backend in force: `s3`, `local` (a folder is the cloud) or `none` (local-only)."""
        if self.backend == "s3" or (not self.backend and self.bucket):
            return "s3"
        if self.backend == "local":
            return "local"
        return "none"


@dataclass(frozen=True)
class SyncConfig:
    # Uploads are I/O-bound (most of a PUT is waiting on the network): 16 in flight keeps a
    # link busy even with small avatars, at little CPU cost.
    concurrency: int = 16
    bandwidth_limit_kbps: int = 0  # 0: unlimited


@dataclass(frozen=True)
class NetworkConfig:
    # The proxy every request of ecan goes through: http(s)://[user@]host:port. Empty: the
    # system's (HTTPS_PROXY / HTTP_PROXY / NO_PROXY, which botocore, httpx and urllib honour).
    proxy: str = ""
    # Its password: from the keyring (Settings keeps it there) or ECAN_PROXY_PASSWORD; ecan
    # never writes it to a file, and the URL in the config never holds it.
    proxy_password: str = field(default="", repr=False)

    def url(self) -> str:
        """The proxy with its password, for the HTTP clients only (never log it); "" for the
        system's."""
        if not self.proxy or not self.proxy_password:
            return self.proxy
        from urllib.parse import quote

        parsed = urlparse(self.proxy)
        user = parsed.username or ""
        host = parsed.hostname or ""
        host = f"[{host}]" if ":" in host else host
        port = f":{parsed.port}" if parsed.port else ""
        return (f"{parsed.scheme}://{quote(user, safe='')}:{quote(self.proxy_password, safe='')}"
                f"@{host}{port}")


@dataclass(frozen=True)
class GeminiConfig:
    api_key: str = field(default="", repr=False)
    base_url: str = ""
    text_model: str = "gemini-2.5-flash"
    image_model: str = "gemini-2.5-flash-image"
    timeout_s: float = 120.0
    credit_budget: float = 0.0  # 0: no budget


@dataclass(frozen=True)
class Config:
    cognito: CognitoConfig = CognitoConfig()
    storage: StorageConfig = StorageConfig()
    sync: SyncConfig = SyncConfig()
    gemini: GeminiConfig = GeminiConfig()
    network: NetworkConfig = NetworkConfig()
    source: Path | None = None  # the file it was read from, if any
    # "SECTION.KEY" -> the environment variable that set it. Such a value is the
    # environment's, not the file's: Settings shows it read-only and never writes it.
    env_overrides: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    # The secrets filled in from the keyring (ecan.auth.secrets.KeptSecret accounts): last in
    # precedence, after the environment and the file.
    from_keyring: frozenset[str] = field(default=frozenset(), compare=False, repr=False)


# YAML section -> (dataclass, {YAML KEY: field name}).
_SECTIONS: dict[str, tuple[type, dict[str, str]]] = {
    "COGNITO": (CognitoConfig, {
        "USER_POOL_ID": "user_pool_id", "CLIENT_ID": "client_id",
        "IDENTITY_POOL_ID": "identity_pool_id", "REGION": "region", "DOMAIN": "domain",
        "ENDPOINT_URL": "endpoint_url", "AUTH_FLOW": "auth_flow",
        "CALLBACK_PORT": "callback_port",
    }),
    "STORAGE": (StorageConfig, {
        "BACKEND": "backend", "BUCKET": "bucket", "REGION": "region",
        "ENDPOINT_URL": "endpoint_url", "PATH_PREFIX": "path_prefix",
        "CDN_DOMAIN": "cdn_domain", "PUBLIC_URL_BASE": "public_url_base",
        "LOCAL_PATH": "local_path", "ACCESS_KEY": "access_key", "SECRET_KEY": "secret_key",
        "USER_ID": "user_id",
    }),
    "SYNC": (SyncConfig, {"CONCURRENCY": "concurrency",
                          "BANDWIDTH_LIMIT_KBPS": "bandwidth_limit_kbps"}),
    "GEMINI": (GeminiConfig, {
        "API_KEY": "api_key", "BASE_URL": "base_url", "TEXT_MODEL": "text_model",
        "IMAGE_MODEL": "image_model", "TIMEOUT_S": "timeout_s", "CREDIT_BUDGET": "credit_budget",
    }),
    "NETWORK": (NetworkConfig, {"PROXY": "proxy", "PROXY_PASSWORD": "proxy_password"}),
}
_ATTR = {"COGNITO": "cognito", "STORAGE": "storage", "SYNC": "sync", "GEMINI": "gemini",
         "NETWORK": "network"}

# Environment name -> (section, field). Later names win over earlier ones in this list, so the
# ecan-specific AVATAR_CLOUD_* names beat the generic AWS_* ones.
_ENV: list[tuple[str, str, str]] = [
    ("AWS_S3_BUCKET", "STORAGE", "bucket"),
    ("S3_BUCKET_NAME", "STORAGE", "bucket"),
    ("AWS_ACCESS_KEY_ID", "STORAGE", "access_key"),
    ("AWS_SECRET_ACCESS_KEY", "STORAGE", "secret_key"),
    ("AVATAR_CLOUD_BUCKET", "STORAGE", "bucket"),
    ("AVATAR_CLOUD_REGION", "STORAGE", "region"),
    ("AVATAR_CLOUD_PATH_PREFIX", "STORAGE", "path_prefix"),
    ("AVATAR_CLOUD_ACCESS_KEY", "STORAGE", "access_key"),
    ("AVATAR_CLOUD_SECRET_KEY", "STORAGE", "secret_key"),
    ("AVATAR_CLOUD_CDN_DOMAIN", "STORAGE", "cdn_domain"),
    ("AVATAR_CLOUD_ENDPOINT_URL", "STORAGE", "endpoint_url"),
    # The reference systems' legacy name for the Gemini key; GEMINI_API_KEY wins over it.
    ("NANO_BANANA_API_KEY", "GEMINI", "api_key"),
    ("GEMINI_API_KEY", "GEMINI", "api_key"),
    ("GEMINI_BASE_URL", "GEMINI", "base_url"),
    ("ECAN_PROXY_PASSWORD", "NETWORK", "proxy_password"),
    ("ECAN_CALLBACK_PORT", "COGNITO", "callback_port"),
]
_R2_ENV: list[tuple[str, str]] = [
    ("R2_ACCESS_KEY", "access_key"), ("R2_SECRET_KEY", "secret_key"), ("R2_BUCKET", "bucket"),
    ("R2_ENDPOINT", "endpoint_url"), ("R2_PUBLIC_URL", "public_url_base"),
]
SECRET_FIELDS = {"access_key", "secret_key", "api_key", "proxy_password"}


def load_config(paths: AppPaths, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (if any) and the environment; raise ConfigError on a bad setting."""
    env = os.environ if env is None else env
    path = Path(env["ECAN_CONFIG"]).expanduser() if env.get("ECAN_CONFIG") else paths.default_config
    if env.get("ECAN_CONFIG") and not path.is_file():
        raise ConfigError("ECAN_CONFIG", f"no config file at {path}",
                          "Point ECAN_CONFIG at an existing auth_config.yml, or unset it.")
    values: dict[str, dict[str, Any]] = {s: {} for s in _SECTIONS}
    if path.is_file():
        _read_yaml(path, values, paths.cache / "config.json")
    from_env: dict[str, str] = {}  # "SECTION.KEY" -> the environment name that set it
    for name, section, attr in _ENV:
        if env.get(name):
            values[section][attr] = env[name]
            from_env[_key_of(section, attr)] = name
    if _truthy(env.get("USE_R2_STORAGE", "")):
        values["STORAGE"]["is_r2"] = True
        if not values["STORAGE"].get("backend"):
            values["STORAGE"]["backend"] = "s3"
            from_env[_key_of("STORAGE", "backend")] = "USE_R2_STORAGE"
        values["STORAGE"]["region"] = "auto"
        from_env[_key_of("STORAGE", "region")] = "USE_R2_STORAGE"
        for name, attr in _R2_ENV:
            if env.get(name):
                values["STORAGE"][attr] = env[name]
                from_env[_key_of("STORAGE", attr)] = name
    config = Config(
        **{_ATTR[s]: _build(s, values[s]) for s in _SECTIONS},
        source=path if path.is_file() else None,
        env_overrides=dict(from_env),
    )
    try:
        _validate(config)
    except ConfigError as e:
        if e.setting in from_env:  # name what the user actually set
            raise ConfigError(f"{e.setting} (from {from_env[e.setting]})",
                              e.message.split(": ", 1)[1], e.hint) from None
        raise
    return config


def _key_of(section: str, attr: str) -> str:
    keys = _SECTIONS[section][1]
    return f"{section}." + next(k for k, a in keys.items() if a == attr)


def _read_yaml(path: Path, values: dict[str, dict[str, Any]], cache: Path | None = None
               ) -> None:
    where = f"config file {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(where, f"cannot be read ({e.__class__.__name__})",
                          "Check the file exists and is readable UTF-8 text.") from None
    data = _cached_document(cache, text) if cache is not None else _MISS
    parsed = data is _MISS
    if parsed:
        data = _parse_yaml(where, text)
    if data is None:
        return
    if not isinstance(data, dict):
        raise ConfigError(where, "must be a mapping of sections (COGNITO, STORAGE, ...)",
                          "Compare with auth_config.yml.example.")
    secret = False
    for section, body in data.items():
        if section not in _SECTIONS:
            raise ConfigError(str(section), "unknown section",
                              f"Use one of {', '.join(_SECTIONS)} (see auth_config.yml.example).")
        if body is None:
            continue
        if not isinstance(body, dict):
            raise ConfigError(section, "must be a mapping of KEY: value",
                              "Indent the keys under the section name.")
        cls, keys = _SECTIONS[section]
        types = {f.name: f.type for f in fields(cls)}
        for key, value in body.items():
            if key not in keys:
                raise ConfigError(f"{section}.{key}", "unknown key",
                                  f"Valid keys: {', '.join(keys)}.")
            attr = keys[key]
            secret = secret or attr in SECRET_FIELDS
            values[section][attr] = _coerce(f"{section}.{key}", value, str(types[attr]))
    if parsed and cache is not None and not secret and _plain(data):
        _remember_document(cache, text, data)


def _parse_yaml(where: str, text: str) -> Any:
    import yaml  # ~10 ms to import (its regular expressions): only when the cache has not the file

    try:
        # libyaml's scanner where PyYAML has it (same safe constructor): ten times quicker than
        # the pure-Python one, ~3 ms of every command's start for a commented config file.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(text, Loader=loader)  # noqa: S506
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(where, f"is not valid YAML{line}",
                          "Fix the syntax; compare with auth_config.yml.example.") from None


# The config file as PyYAML read it, kept beside its text in $ECAN_HOME/cache/config.json: a
# command whose config file is unchanged (byte for byte) takes the document from there and
# never imports PyYAML, ~10 ms of every start. Only a file that was valid and names no secret
# is kept (ecan never writes a secret into a file), and only as JSON holds it exactly.
_MISS = object()


def _cached_document(cache: Path, text: str) -> Any:
    """The document kept for exactly `text`, or _MISS."""
    try:
        kept = json.loads(cache.read_bytes())
    except (OSError, ValueError):  # none yet, or unreadable: read the file itself
        return _MISS
    if not isinstance(kept, dict) or kept.get("text") != text or "document" not in kept:
        return _MISS
    return kept["document"]


def _plain(value: Any) -> bool:
    """Whether JSON gives `value` back exactly (no dates, sets or non-text keys)."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _remember_document(cache: Path, text: str, data: Any) -> None:
    try:
        cache.parent.mkdir(mode=PRIVATE_DIR, exist_ok=True)  # in ECAN_HOME: never makes it
        replace_private_file(cache, json.dumps({"text": text, "document": data}))
    except OSError as e:  # a read-only home: the next start reads the file again, that's all
        log.debug("config cache not written (%s)", type(e).__name__)


def _coerce(name: str, value: Any, type_name: str) -> Any:
    if value is None:
        return None
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(name, f"must be a whole number, got {value!r}", "Write e.g. 4.")
        return value
    if type_name == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(name, f"must be a number, got {value!r}", "Write e.g. 30.")
        return float(value)
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ConfigError(name, f"must be text, got {type(value).__name__}",
                          "Write a plain string (quote it if in doubt).")
    return str(value).strip()


def _build(section: str, values: dict[str, Any]) -> Any:
    cls = _SECTIONS[section][0]
    clean = {k: v for k, v in values.items() if v is not None}
    # Environment values arrive as text; numbers in env are converted here.
    for f in fields(cls):
        if f.name in clean and isinstance(clean[f.name], str) and f.type in ("int", "float"):
            try:
                clean[f.name] = int(clean[f.name]) if f.type == "int" else float(clean[f.name])
            except ValueError:
                raise ConfigError(f"{section}.{f.name.upper()}", "must be a number",
                                  "Write e.g. 4.") from None
    return cls(**clean)


def _truthy(v: str) -> bool:
    return v.strip().lower() in {"1", "true", "yes", "on"}


def _check_url(name: str, url: str, *, carries_secrets: bool = False) -> None:
    """An http(s) URL. One that a token, a password or a key is sent to must be https unless
    it points at this computer (a local cloud, a test server): nothing else can read those."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(name, f"{url!r} is not an http(s) URL",
                          "Write the full URL, e.g. https://<account>.r2.cloudflarestorage.com.")
    if carries_secrets and parsed.scheme == "http" and not is_loopback(parsed.hostname or ""):
        raise ConfigError(
            name, f"{url!r} would send your sign-in tokens, password or keys in clear text "
            "over http",
            f"Use https://{parsed.netloc}{parsed.path} (http is allowed only for this "
            "computer: localhost, 127.0.0.1, ::1).")


def is_loopback(host: str) -> bool:
    """True for a name or address of this computer only (localhost, 127.0.0.0/8, ::1)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Endpoints whose redirection sends credentials elsewhere: the window says when the
# environment does it, so a variable left over from another project cannot go unnoticed.
_ENDPOINT_KEYS = ("COGNITO.ENDPOINT_URL", "STORAGE.ENDPOINT_URL", "GEMINI.BASE_URL")


def endpoint_redirects(config: Config) -> list[tuple[str, str]]:
    """(environment variable, URL) for each endpoint an environment variable set."""
    values = setting_values(config)
    return [(config.env_overrides[k], str(values[k])) for k in _ENDPOINT_KEYS
            if k in config.env_overrides and values.get(k)]


def _validate(c: Config) -> None:
    s, cg = c.storage, c.cognito
    if s.backend not in ("", "local", "s3"):
        raise ConfigError("STORAGE.BACKEND", f"unknown backend {s.backend!r}",
                          "Use `local` (a folder) or `s3` (AWS S3, R2, MinIO via ENDPOINT_URL).")
    if s.region and not REGION_RE.match(s.region):
        raise ConfigError("STORAGE.REGION", f"{s.region!r} is not a region",
                          "Write an AWS region such as us-east-1 (or `auto` for R2).")
    if s.endpoint_url:
        _check_url("STORAGE.ENDPOINT_URL", s.endpoint_url, carries_secrets=True)
    if s.public_url_base:
        _check_url("STORAGE.PUBLIC_URL_BASE", s.public_url_base)
    if s.kind == "s3" and not s.bucket:
        raise ConfigError("STORAGE.BUCKET", "is required for the s3 backend",
                          "Set STORAGE.BUCKET or AVATAR_CLOUD_BUCKET.")
    if s.bucket and not BUCKET_RE.match(s.bucket):
        raise ConfigError("STORAGE.BUCKET", f"{s.bucket!r} is not a valid bucket name",
                          "Use 3-63 lowercase letters, digits, dots or hyphens.")
    try:
        validate_prefix(s.path_prefix)
    except ValueError as e:
        raise ConfigError("STORAGE.PATH_PREFIX", f"{s.path_prefix!r} is not a usable prefix ({e})",
                          "Use folder names joined by single '/', none starting with '.', "
                          "such as avatars/ or tenant/avatars/.") from None
    if bool(s.access_key) != bool(s.secret_key):
        raise ConfigError("STORAGE.ACCESS_KEY/SECRET_KEY", "only one of the pair is set",
                          "Set both the access key and the secret key, or neither.")
    if not re.match(r"^[A-Za-z0-9_-]{1,64}$", s.user_id):
        raise ConfigError("STORAGE.USER_ID", f"{s.user_id!r} is not a safe folder name",
                          "Use letters, digits, - and _ only.")
    if s.user_id.lower() == SHARED:
        raise ConfigError("STORAGE.USER_ID", f"{s.user_id!r} is the system avatars' folder",
                          f"Use another name: '{SHARED}' holds the avatars every user shares.")
    if cg.region and not REGION_RE.match(cg.region):
        raise ConfigError("COGNITO.REGION", f"{cg.region!r} is not a region",
                          "Write the user pool's region, e.g. us-east-1.")
    if cg.user_pool_id and not POOL_ID_RE.match(cg.user_pool_id):
        raise ConfigError("COGNITO.USER_POOL_ID", f"{cg.user_pool_id!r} is not a user pool id",
                          "Copy it from the Cognito console, e.g. us-east-1_AbCdEf123.")
    if cg.identity_pool_id and not IDENTITY_POOL_RE.match(cg.identity_pool_id):
        raise ConfigError("COGNITO.IDENTITY_POOL_ID",
                          f"{cg.identity_pool_id!r} is not an identity pool id",
                          "Copy it from the Cognito console, e.g. us-east-1:1234abcd-....")
    if bool(cg.user_pool_id) != bool(cg.client_id):
        raise ConfigError("COGNITO.CLIENT_ID" if cg.user_pool_id else "COGNITO.USER_POOL_ID",
                          "is missing", "Set both USER_POOL_ID and CLIENT_ID, or neither.")
    if cg.endpoint_url:
        _check_url("COGNITO.ENDPOINT_URL", cg.endpoint_url, carries_secrets=True)
    if cg.auth_flow not in ("USER_SRP_AUTH", "USER_PASSWORD_AUTH"):
        raise ConfigError("COGNITO.AUTH_FLOW", f"unknown flow {cg.auth_flow!r}",
                          "Use USER_SRP_AUTH (default) or USER_PASSWORD_AUTH.")
    if not 0 <= c.cognito.callback_port <= 65535:
        raise ConfigError("COGNITO.CALLBACK_PORT", f"{c.cognito.callback_port} is not a port",
                          "Use a port number (1-65535), or 0 for any free one.")
    if not 1 <= c.sync.concurrency <= 64:
        raise ConfigError("SYNC.CONCURRENCY", f"{c.sync.concurrency} is out of range",
                          "Use a number from 1 to 64.")
    if c.sync.bandwidth_limit_kbps < 0:
        raise ConfigError("SYNC.BANDWIDTH_LIMIT_KBPS", "must not be negative",
                          "Use 0 for unlimited.")
    if c.gemini.base_url:
        _check_url("GEMINI.BASE_URL", c.gemini.base_url, carries_secrets=True)
    if c.network.proxy:
        _check_proxy(c.network.proxy)


def split_proxy(url: str) -> tuple[str, str]:
    """A proxy address as typed -> (the address without its password, the password): the
    first goes in the config file, the second in the keyring."""
    from urllib.parse import unquote

    parsed = urlparse(url)
    try:
        password = parsed.password
    except ValueError:
        password = None
    if password is None:
        return url, ""
    netloc = parsed.netloc.rsplit("@", 1)[1]
    user = parsed.netloc.rsplit("@", 1)[0].split(":", 1)[0]
    return parsed._replace(netloc=f"{user}@{netloc}").geturl(), unquote(password)


def _check_proxy(url: str) -> None:
    parsed = urlparse(url)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.scheme not in ("http", "https") or not parsed.hostname or not port:
        shown = re.sub(r"//([^/@:]*):[^/@]*@", r"//\1:***@", url)  # never a password
        raise ConfigError("NETWORK.PROXY", f"{shown!r} is not a proxy address",
                          "Write it as http://host:port (or http://user@host:port).")
    if parsed.password is not None:
        raise ConfigError("NETWORK.PROXY", "holds a password",
                          "Leave the password out of the address: enter it in Settings (kept "
                          "in the system keyring) or set ECAN_PROXY_PASSWORD.")


def validate_config(config: Config) -> None:
    """The loader's validation, for a Config built elsewhere (the settings screen)."""
    _validate(config)


def write_config(config: Config, path: Path) -> None:
    """Write `config` as a fresh YAML file, atomically, leaving every secret and every value
    the environment set out (contract: ecan never writes a secret into a config file)."""
    import yaml

    out: dict[str, dict[str, Any]] = {}
    for section, (cls, keys) in _SECTIONS.items():
        obj = getattr(config, _ATTR[section])
        defaults = cls()
        body = {key: getattr(obj, attr) for key, attr in keys.items()
                if attr not in SECRET_FIELDS and f"{section}.{key}" not in config.env_overrides
                and getattr(obj, attr) != getattr(defaults, attr)}
        if body:
            out[section] = body
    replace_private_file(path, yaml.safe_dump(out, sort_keys=False))


def setting_values(config: Config) -> dict[str, Any]:
    """Every non-secret setting as {"SECTION.KEY": value}: what Settings compares to find
    the keys the user changed."""
    return {f"{section}.{key}": getattr(getattr(config, _ATTR[section]), attr)
            for section, (_cls, keys) in _SECTIONS.items() for key, attr in keys.items()
            if attr not in SECRET_FIELDS}


def save_settings(path: Path, changes: Mapping[str, Any]) -> None:
    """Change only the given keys ({"SECTION.KEY": value}) of the config file at `path`, in
    place: comments, key order and every other key (a user's own secret keys included) stay
    as they are. A value equal to the built-in default removes its key. Secret keys are
    refused: ecan never writes a secret into a config file."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    for name in changes:
        section, _, key = name.partition(".")
        if section not in _SECTIONS or key not in _SECTIONS[section][1]:
            raise ValueError(f"not a setting: {name}")
        if _SECTIONS[section][1][key] in SECRET_FIELDS:
            raise ValueError(f"ecan never writes a secret into a config file: {name}")
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long URL the user wrote on one line
    rt.indent(mapping=2, sequence=4, offset=2)
    doc: Any = None
    if path.is_file():
        try:
            doc = rt.load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"config file {path}", f"cannot be read ({e.__class__.__name__})",
                              "Check the file exists and is readable UTF-8 text.") from None
        except Exception:  # ruamel's YAMLError
            raise ConfigError(f"config file {path}", "is not valid YAML",
                              "Fix the syntax; compare with auth_config.yml.example.") from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise ConfigError(f"config file {path}", "must be a mapping of sections",
                          "Compare with auth_config.yml.example.")
    for name, value in changes.items():
        section, _, key = name.partition(".")
        cls, keys = _SECTIONS[section]
        default = getattr(cls(), keys[key])
        body = doc.get(section)
        if value is None or value == default:
            if isinstance(body, dict):
                body.pop(key, None)
            continue
        if not isinstance(body, dict):
            body = CommentedMap()
            doc[section] = body
        body[key] = value
    buf = io.StringIO()
    rt.dump(doc, buf)
    replace_private_file(path, buf.getvalue())
