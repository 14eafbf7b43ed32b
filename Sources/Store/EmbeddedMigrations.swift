/// The schema, compiled into the binary: an installed `ublkd` has no source tree to read `migrations/` from.
/// A test checks that each entry equals its file in `migrations/`, byte for byte.
public enum EmbeddedMigrations {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "0001_initial.sql", sql: """
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

"""),
        Migration(version: 2, name: "0002_pin_queues.sql", sql: """
-- ublkd schema, version 2: whether the device's queue threads are pinned to the driver's queue affinity.
-- Devices stored before this version were pinned, hence the default.
ALTER TABLE devices ADD COLUMN pin_queues INTEGER NOT NULL DEFAULT 1 CHECK (pin_queues IN (0, 1));

"""),
        Migration(version: 3, name: "0003_queue_threads.sql", sql: """
-- ublkd schema, version 3: how many threads serve each queue (per-I/O daemon threads). Devices stored before this
-- version had one.
ALTER TABLE devices ADD COLUMN queue_threads INTEGER NOT NULL DEFAULT 1 CHECK (queue_threads BETWEEN 1 AND 4096);

"""),
        Migration(version: 4, name: "0004_batch_io.sql", sql: """
-- ublkd schema, version 4: whether the device's queues use the batch command model (UBLK_F_BATCH_IO). Devices
-- stored before this version used the per-tag model.
ALTER TABLE devices ADD COLUMN batch_io INTEGER NOT NULL DEFAULT 0 CHECK (batch_io IN (0, 1));

"""),
        Migration(version: 5, name: "0005_lifecycle.sql", sql: """
-- ublkd schema, version 5: the states of the device lifecycle. 'deleting' is written before a delete touches the
-- kernel, so that a delete cut short by a crash is finished at the next start instead of bringing the device back.
-- made_backing_file says that ublkd's create made the backing file, so that a create cut short removes the file it
-- made and never one it found. SQLite cannot change a CHECK in place: the table is rebuilt with the same rows.
CREATE TABLE devices_v5 (
    id                INTEGER PRIMARY KEY CHECK (id >= 0 AND id < 1048576),  -- the ublk device id: /dev/ublkb<id>
    name              TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    target            TEXT    NOT NULL CHECK (target IN ('null', 'file', 'memory')),
    path              TEXT,
    size_bytes        INTEGER NOT NULL CHECK (size_bytes > 0),
    block_size        INTEGER NOT NULL CHECK (block_size IN (512, 4096)),
    queues            INTEGER NOT NULL CHECK (queues >= 1),
    queue_depth       INTEGER NOT NULL CHECK (queue_depth BETWEEN 1 AND 4096),
    max_io_bytes      INTEGER NOT NULL CHECK (max_io_bytes >= 4096),
    read_only         INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    recovery          TEXT    NOT NULL CHECK (recovery IN ('none', 'reissue', 'fail_io')),
    io_mode           TEXT    NOT NULL DEFAULT 'auto' CHECK (io_mode IN ('auto', 'copy', 'zero_copy')),
    pin_queues        INTEGER NOT NULL DEFAULT 1 CHECK (pin_queues IN (0, 1)),
    queue_threads     INTEGER NOT NULL DEFAULT 1 CHECK (queue_threads BETWEEN 1 AND 4096),
    batch_io          INTEGER NOT NULL DEFAULT 0 CHECK (batch_io IN (0, 1)),
    made_backing_file INTEGER NOT NULL DEFAULT 0 CHECK (made_backing_file IN (0, 1)),
    desired_state     TEXT    NOT NULL CHECK (desired_state IN ('creating', 'running', 'stopped', 'deleting')),
    last_error        TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    CHECK (target <> 'file' OR path IS NOT NULL)
);
INSERT INTO devices_v5 (id, name, target, path, size_bytes, block_size, queues, queue_depth, max_io_bytes, read_only,
                        recovery, io_mode, pin_queues, queue_threads, batch_io, desired_state, last_error, created_at,
                        updated_at)
    SELECT id, name, target, path, size_bytes, block_size, queues, queue_depth, max_io_bytes, read_only, recovery,
           io_mode, pin_queues, queue_threads, batch_io, desired_state, last_error, created_at, updated_at
    FROM devices;
DROP TABLE devices;
ALTER TABLE devices_v5 RENAME TO devices;

"""),
        Migration(version: 6, name: "0006_nbd.sql", sql: """
-- ublkd schema, version 6: the nbd target. uri is the export's NBD URI (kept as given, credentials and all, since
-- reconnecting needs it; the API shows it without them); reconnect_timeout_s how long I/O waits for a server that
-- went away. The target CHECK gains 'nbd', which SQLite cannot change in place: the table is rebuilt.
CREATE TABLE devices_v6 (
    id                  INTEGER PRIMARY KEY CHECK (id >= 0 AND id < 1048576),
    name                TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    target              TEXT    NOT NULL CHECK (target IN ('null', 'file', 'memory', 'nbd')),
    path                TEXT,
    uri                 TEXT,
    reconnect_timeout_s INTEGER CHECK (reconnect_timeout_s BETWEEN 1 AND 3600),
    size_bytes          INTEGER NOT NULL CHECK (size_bytes > 0),
    block_size          INTEGER NOT NULL CHECK (block_size IN (512, 4096)),
    queues              INTEGER NOT NULL CHECK (queues >= 1),
    queue_depth         INTEGER NOT NULL CHECK (queue_depth BETWEEN 1 AND 4096),
    max_io_bytes        INTEGER NOT NULL CHECK (max_io_bytes >= 4096),
    read_only           INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    recovery            TEXT    NOT NULL CHECK (recovery IN ('none', 'reissue', 'fail_io')),
    io_mode             TEXT    NOT NULL DEFAULT 'auto' CHECK (io_mode IN ('auto', 'copy', 'zero_copy')),
    pin_queues          INTEGER NOT NULL DEFAULT 1 CHECK (pin_queues IN (0, 1)),
    queue_threads       INTEGER NOT NULL DEFAULT 1 CHECK (queue_threads BETWEEN 1 AND 4096),
    batch_io            INTEGER NOT NULL DEFAULT 0 CHECK (batch_io IN (0, 1)),
    made_backing_file   INTEGER NOT NULL DEFAULT 0 CHECK (made_backing_file IN (0, 1)),
    desired_state       TEXT    NOT NULL CHECK (desired_state IN ('creating', 'running', 'stopped', 'deleting')),
    last_error          TEXT,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    CHECK (target <> 'file' OR path IS NOT NULL),
    CHECK (target <> 'nbd' OR (uri IS NOT NULL AND reconnect_timeout_s IS NOT NULL))
);
INSERT INTO devices_v6 (id, name, target, path, size_bytes, block_size, queues, queue_depth, max_io_bytes, read_only,
                        recovery, io_mode, pin_queues, queue_threads, batch_io, made_backing_file, desired_state,
                        last_error, created_at, updated_at)
    SELECT id, name, target, path, size_bytes, block_size, queues, queue_depth, max_io_bytes, read_only, recovery,
           io_mode, pin_queues, queue_threads, batch_io, made_backing_file, desired_state, last_error, created_at,
           updated_at
    FROM devices;
DROP TABLE devices;
ALTER TABLE devices_v6 RENAME TO devices;

"""),
    ]
}
