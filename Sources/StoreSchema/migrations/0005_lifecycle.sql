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
