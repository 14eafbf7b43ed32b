-- ublkd schema, version 4: whether the device's queues use the batch command model (UBLK_F_BATCH_IO). Devices
-- stored before this version used the per-tag model.
ALTER TABLE devices ADD COLUMN batch_io INTEGER NOT NULL DEFAULT 0 CHECK (batch_io IN (0, 1));
