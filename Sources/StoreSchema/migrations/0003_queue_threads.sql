-- ublkd schema, version 3: how many threads serve each queue (per-I/O daemon threads). Devices stored before this
-- version had one.
ALTER TABLE devices ADD COLUMN queue_threads INTEGER NOT NULL DEFAULT 1 CHECK (queue_threads BETWEEN 1 AND 4096);
