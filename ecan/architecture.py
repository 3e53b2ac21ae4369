"""ecan's parts, what each is for, and what each may import, written once as data (the map a
newcomer reads first); tests/unit/test_architecture.py checks the code against it. To move a
boundary, change it here and say why in the commit.

Imports point down the table: the UI and the command line above the handlers and the app's
wiring, those above the domain services, those above storage and the database, those above
the foundations every part may use. Type-only imports count too: they are dependencies."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    does: str
    may_import: frozenset[str] = frozenset()
    qt: bool = False  # may import Qt (PySide6)


def _part(does: str, *may_import: str, qt: bool = False) -> Part:
    return Part(does, frozenset(may_import), qt)


# Every part may use these; they use only each other.
FOUNDATIONS: dict[str, str] = {
    "ecan": "the package: its version",
    "ecan.architecture": "this map of the parts",
    "ecan.errors": "UserFacingError (the user's or the environment's fault) versus bugs",
    "ecan.paths": "where the library lives (ECAN_HOME) and private files",
    "ecan.logsetup": "the log file, and masking secrets (redact)",
    "ecan.pipe": "the wire format of the window's helper processes",
    "ecan.priority": "running helpers below the window's priority",
    "ecan.deferred_imports": "dependencies' modules loaded at their first use, not at start",
    "ecan.resources": "the files shipped with ecan (assets)",
    "ecan.autostart": "starting ecan at login (XDG autostart, Windows Run key, LaunchAgent)",
}

PARTS: dict[str, Part] = {
    # -- storage, configuration and the library's state -------------------------------------
    "ecan.storage": _part("the BlobStore port and its backends (local folder, S3)",
                          "ecan.config"),
    "ecan.config": _part("auth_config.yml and the environment, read and checked",
                         "ecan.storage"),
    "ecan.db": _part("SQLite: the one connection factory, migrations, tables, and every sync "
                     "rule (ecan.db.sync_state: avatar sync states and outbox jobs)"),
    # -- domain services (no Qt) ------------------------------------------------------------
    "ecan.avatars": _part("the avatar library: the one intake (validate, thumbnail, store), "
                          "edits, deletes, exports, links (through the cloud's access)", "ecan.db",
                          "ecan.auth"),
    "ecan.agents": _part("agents and the avatars they use", "ecan.avatars", "ecan.db"),
    "ecan.imagegen": _part("AI avatar generation", "ecan.avatars", "ecan.db", "ecan.config"),
    "ecan.auth": _part("sign-in, sessions and cloud credentials", "ecan.config", "ecan.db",
                       "ecan.storage"),
    "ecan.sync": _part("the sync engine, its one control, its process's loop, restore, the "
                       "change journal and pull, agents' cloud documents, and repair",
                       "ecan.avatars", "ecan.db", "ecan.storage", "ecan.config"),
    "ecan.cloudops": _part("the operator's deploy (`ecan cloud`): user pool, app client, "
                           "identity pool, the identities' role, bucket; publishing the system "
                           "avatars (through the library's intake)", "ecan.avatars",
                           "ecan.config", "ecan.storage"),
    "ecan.democloud": _part("the local cloud (moto + ecan's identity exchange), provisioned by "
                            "the operator's deploy", "ecan.config", "ecan.cloudops"),
    "ecan.accounts": _part("one library per account: which account is signed in here, where "
                           "its library lives, moving the local-only avatars into it",
                           "ecan.agents", "ecan.avatars", "ecan.config", "ecan.db"),
    # -- the one internal API and the wiring --------------------------------------------------
    "ecan.handlers": _part("the internal API: method name -> typed handler",
                           "ecan.app", "ecan.accounts", "ecan.agents", "ecan.auth",
                           "ecan.avatars", "ecan.imagegen", "ecan.db", "ecan.sync"),
    "ecan.app": _part("builds every service and hands each what it uses",
                      "ecan.accounts", "ecan.agents", "ecan.auth", "ecan.avatars", "ecan.config",
                      "ecan.db", "ecan.handlers", "ecan.imagegen", "ecan.sync"),
    "ecan.doctor": _part("`ecan doctor`'s checks", "ecan.app", "ecan.auth", "ecan.storage"),
    # -- the two clients of the handlers ------------------------------------------------------
    "ecan.bridge": _part("Qt's side of the handlers and of the window's helper processes "
                         "(the sync process's proxy, the picture decoder and its service) and "
                         "the window's typed operations (ecan.bridge.ops)",
                         "ecan.app", "ecan.handlers", "ecan.sync", qt=True),
    # ecan.handlers for its answers' types (ecan.handlers.models, .changes); calls go through
    # ecan.bridge.ops.
    "ecan.ui": _part("the desktop window", "ecan.app", "ecan.bridge", "ecan.handlers",
                     "ecan.sync", "ecan.auth", "ecan.config", "ecan.democloud", "ecan.doctor",
                     qt=True),
    "ecan.cli": _part("the command line", "ecan.app", "ecan.accounts", "ecan.auth",
                      "ecan.avatars", "ecan.bridge", "ecan.cloudops", "ecan.db", "ecan.democloud",
                      "ecan.doctor", "ecan.sync", "ecan.ui"),
    "ecan.demo": _part("`ecan demo`: the local cloud with samples", "ecan.app", "ecan.auth",
                       "ecan.cli", "ecan.democloud"),
    "ecan.__main__": _part("`python -m ecan`", "ecan.cli"),
}

# Modules inside a Qt part that must not import Qt: a helper process that starts fast.
QT_FREE: dict[str, str] = {
    "ecan.bridge.decode_service": "the picture decoder process (`ecan decode-service`)",
}

# One owner per piece of state: what only the named modules may do, found by its code.
OWNERS: list[tuple[str, str, frozenset[str]]] = [
    ("open the SQLite file", r"sqlite3\.connect\(|create_engine\(",
     frozenset({"ecan.db.database"})),
    ("write an avatar's sync_state", r"SET\s+sync_state|\.sync_state\s*=[^=]|INSERT INTO avatar",
     frozenset({"ecan.db.sync_state"})),
    ("insert an outbox job", r"INSERT INTO outbox|(?<!class )OutboxJob\(",
     frozenset({"ecan.db.sync_state"})),
    ("declare job statuses", r"class JobStatus|IN \(0, 1\)|READY\s*=\s*0",
     frozenset({"ecan.db.sync_state"})),
]


def part_of(module: str) -> str:
    """The part a module belongs to: a foundation, or its package under ecan."""
    if module in FOUNDATIONS or module in PARTS:
        return module
    top = ".".join(module.split(".")[:2])
    return top
