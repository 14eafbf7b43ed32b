#!/usr/bin/env bash
# An operator deletes a device whose file system is still mounted: the answer comes back (no hang), the device is
# gone from the store, and once the file system is unmounted the kernel lets go of the id too.
. "$(dirname "$0")/../lib.sh"

start_daemon
create_device '{"name":"mounted","target":"file","path":"'"$WORK"'/m.img","size":"64MiB","create":true}'
id=$DEV_ID
mkdir -p "$WORK/mnt"
check "mkfs" mkfs.ext4 -q -F "$DEV"
check "mount" mount "$DEV" "$WORK/mnt"
started=$(date +%s)
STATUS=$(timeout 60 curl -s -o /dev/null -w '%{http_code}' -X DELETE "$API/devices/$id")
expect_eq "$STATUS" 204 "delete answers while the file system is mounted"
check "within 30 s" test $(( $(date +%s) - started )) -lt 30
api GET "/devices/$id"
expect_eq "$STATUS" 404 "the definition is gone"
umount -l "$WORK/mnt" 2>/dev/null
check "the kernel frees the id after the unmount" sh -c \
    "for i in \$(seq 1 100); do [ -e /sys/class/ublk-char/ublkc$id ] || exit 0; sleep 0.1; done; exit 1"
api GET /health
expect_eq "$(field '.unmanaged_devices | length')" 0 "nothing left behind"
finish
