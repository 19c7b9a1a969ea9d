"""The store's schema and its forward migrations. Plain SQL that SQLite and PostgreSQL both read:
TEXT, INTEGER, REAL (double precision), composite primary keys, no AUTOINCREMENT. Money is
integer micro-dollars; times are Unix seconds.

Add a migration by appending a tuple of statements; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: jobs, steps with their paid-call write-ahead and lease, the spend ledger, events.
    (
        """CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            story TEXT NOT NULL,
            options TEXT NOT NULL,
            output_dir TEXT NOT NULL,
            plan TEXT,
            error TEXT,
            video_path TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX jobs_output_dir ON jobs (output_dir, created_at)",
        "CREATE INDEX jobs_created ON jobs (created_at)",
        """CREATE TABLE steps (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            kind TEXT NOT NULL,
            segment INTEGER,
            state TEXT NOT NULL,
            inputs_hash TEXT,
            provider TEXT,
            provider_ref TEXT,
            artefact_path TEXT,
            artefact_sha256 TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            cost_estimate_micros INTEGER,
            intent_at REAL,
            submitted_at REAL,
            finished_at REAL,
            lease_owner TEXT,
            lease_until REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (job_id, key)
        )""",
        # One row per paid attempt, so a retry that was billed twice shows twice.
        """CREATE TABLE spend (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            step_key TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            kind TEXT NOT NULL,
            segment INTEGER,
            provider TEXT,
            usd_micros INTEGER NOT NULL,
            recorded_at REAL NOT NULL,
            PRIMARY KEY (job_id, step_key, attempt)
        )""",
        """CREATE TABLE events (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            type TEXT NOT NULL,
            payload TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (job_id, seq)
        )""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
