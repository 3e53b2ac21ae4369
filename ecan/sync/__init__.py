"""Sync: a durable SQLite outbox (its rules: ecan.db.sync_state) drained by the engine's bounded
workers, which carry avatars to the user's cloud prefix (and back, by restore). One way to
control it (ecan.sync.control), whether the engine runs here or in the window's sync process
(ecan.sync.service). Plain Python."""
