-- ublkd schema, version 1. Migrations are append-only: never edit a released file, add the next number.

-- One row per device definition: everything needed to build the device again after a crash or reboot.
CREATE TABLE devices (
    id            INTEGER PRIMARY KEY CHECK (id >= 0 AND id < 1048576),  -- the ublk device id: /dev/ublkb<id>
    name          TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    target        TEXT    NOT NULL CHECK (target IN ('null', 'file', 'memory')),
    path          TEXT,
    size_bytes    INTEGER NOT NULL CHECK (size_bytes > 0),
    block_size    INTEGER NOT NULL CHECK (block_size IN (512, 4096)),
    queues        INTEGER NOT NULL CHECK (queues >= 1),
    queue_depth   INTEGER NOT NULL CHECK (queue_depth BETWEEN 1 AND 4096),
    max_io_bytes  INTEGER NOT NULL CHECK (max_io_bytes >= 4096),
    read_only     INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    recovery      TEXT    NOT NULL CHECK (recovery IN ('none', 'reissue', 'fail_io')),
    io_mode       TEXT    NOT NULL DEFAULT 'auto' CHECK (io_mode IN ('auto', 'copy', 'zero_copy')),
    desired_state TEXT    NOT NULL CHECK (desired_state IN ('creating', 'running', 'stopped')),
    last_error    TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    CHECK (target <> 'file' OR path IS NOT NULL)
);

-- Every lifecycle step and recovery attempt. Not tied to devices by a foreign key: history outlives the device.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id   INTEGER NOT NULL,
    device_name TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    finished_at TEXT,
    duration_ms INTEGER,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('ok', 'failed')),
    error       TEXT,
    detail      TEXT
);
CREATE INDEX events_by_device ON events (device_id, id DESC);
