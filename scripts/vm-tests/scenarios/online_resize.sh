#!/usr/bin/env bash
# Online resize: where the kernel grants UBLK_F_UPDATE_SIZE, a live device with ext4 mounted grows, resize2fs
# grows the file system online, old files stay intact, the new space is usable, and after a crash and recovery
# the device keeps its new size. Shrinking needs consent. Elsewhere a resize is refused with feature_unavailable.
. "$(dirname "$0")/../lib.sh"

start_daemon
create_device '{"name":"grow","target":"file","path":"'"$WORK"'/grow.img","size":"128MiB","create":true}'
id=$DEV_ID
dev=$DEV
api GET /health
if ! jq -e '.kernel.features | index("UPDATE_SIZE")' <<<"$BODY" >/dev/null; then
    api PATCH "/devices/$id" '{"size":"256MiB"}'
    expect_eq "$STATUS $(field .error.code)" "422 feature_unavailable" "resize refused without UPDATE_SIZE"
    check "the message names the missing kernel feature" grep -q UPDATE_SIZE <<<"$BODY"
    api GET "/devices/$id"
    expect_eq "$(field .size)" 134217728 "size unchanged"
    finish
fi

mnt=$WORK/mnt
mkdir -p "$mnt"
check "mkfs.ext4" mkfs.ext4 -q -F "$dev"
check "mount" mount "$dev" "$mnt"
head -c 50000000 /dev/urandom > "$mnt/old"
sync
(cd "$mnt" && sha256sum old) > "$WORK/old.sum"
api PATCH "/devices/$id" '{"size":"512MiB"}'
expect_eq "$STATUS $(field .size)" "200 536870912" "grown to 512 MiB"
expect_eq "$(blockdev --getsize64 "$dev")" 536870912 "the kernel sees the new size"
expect_eq "$(stat -c %s "$WORK/grow.img")" 536870912 "the backing file grew first"
check "resize2fs grows ext4 online" resize2fs "$dev"
check "the new space is usable" sh -c "head -c 300000000 /dev/zero > '$mnt/new' && sync"
check "old file intact" sh -c "cd '$mnt' && sha256sum -c --quiet '$WORK/old.sum'"
api PATCH "/devices/$id" '{"size":"256MiB"}'
expect_eq "$STATUS $(field .error.code)" "400 validation_failed" "a shrink needs allow_shrink"
api GET "/devices/$id/events"
expect_eq "$(jq -r '.events[0].kind' <<<"$BODY")" resize "the resize is an event"

kill9_daemon
start_daemon
wait_state "$id" live 60
api GET "/devices/$id"
expect_eq "$(field .size)" 536870912 "the new size is stored"
expect_eq "$(blockdev --getsize64 "$dev")" 536870912 "and kept by the recovered device"
check "old file intact after recovery" sh -c "cd '$mnt' && sha256sum -c --quiet '$WORK/old.sum'"
check "umount" umount "$mnt"
check "fsck -n is clean" fsck.ext4 -n -f "$dev"
finish
