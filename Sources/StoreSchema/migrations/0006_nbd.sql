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
