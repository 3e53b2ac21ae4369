"""The sync engine: a durable SQLite outbox drained by bounded workers that carry avatars to the
user's cloud prefix (and back, by restore). Plain Python; Qt adapter: ecan.bridge.sync_worker."""
