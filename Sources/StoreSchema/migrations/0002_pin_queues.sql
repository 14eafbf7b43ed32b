-- ublkd schema, version 2: whether the device's queue threads are pinned to the driver's queue affinity.
-- Devices stored before this version were pinned, hence the default.
ALTER TABLE devices ADD COLUMN pin_queues INTEGER NOT NULL DEFAULT 1 CHECK (pin_queues IN (0, 1));
