#!/usr/bin/env bash
# A crash while ext4 on one device is mounted and being written, and fio runs on another: after recovery the
# files written before the crash match their checksums, writing goes on, and fsck -n is clean after unmount.
. "$(dirname "$0")/../lib.sh"

rm -f "$WORK/stop-writer" "$WORK/during.sums"
start_daemon
create_device '{"name":"raw","target":"file","path":"'"$WORK"'/raw.img","size":"256MiB","create":true}'
raw=$DEV
create_device '{"name":"fs","target":"file","path":"'"$WORK"'/fs.img","size":"512MiB","create":true,"queues":2}'
fs_id=$DEV_ID
fs=$DEV
mnt=$WORK/mnt
mkdir -p "$mnt"
check "mkfs.ext4" mkfs.ext4 -q -F "$fs"
check "mount" mount "$fs" "$mnt"
mkdir -p "$mnt/before" "$mnt/during"
for i in $(seq 1 6); do head -c $((i * 1048576 + 777)) /dev/urandom > "$mnt/before/f$i"; done
sync
(cd "$mnt" && sha256sum before/*) > "$WORK/before.sums"

fio --name=raw --filename="$raw" --ioengine=io_uring --direct=1 --rw=randrw --bs=4k --iodepth=16 --runtime=25 \
    --time_based --output-format=json --output="$OUT/fio.json" &
fio_pid=$!
# A writer that keeps the file system busy across the crash; each file is checksummed once it is on disk.
(
    n=0
    while [ ! -e "$WORK/stop-writer" ]; do
        n=$((n + 1))
        head -c 262144 /dev/urandom > "$mnt/during/g$n" && sync "$mnt/during/g$n" && \
            (cd "$mnt" && sha256sum "during/g$n") >> "$WORK/during.sums"
    done
) &
writer=$!
sleep 4
kill9_daemon
say "daemon killed with SIGKILL while ext4 was being written"
sleep 1
start_daemon
wait_state "$fs_id" live 60
sleep 3
touch "$WORK/stop-writer"
wait "$writer"
wait "$fio_pid"
expect_eq "$(jq '.jobs[0].error' "$OUT/fio.json")" 0 "fio on the other device saw no error"
check "files written before the crash are intact" sh -c "cd '$mnt' && sha256sum -c --quiet '$WORK/before.sums'"
check "files written across the crash are intact" sh -c "cd '$mnt' && sha256sum -c --quiet '$WORK/during.sums'"
say "files written across the crash: $(wc -l < "$WORK/during.sums")"
check "umount" umount "$mnt"
check "fsck -n is clean" fsck.ext4 -n -f "$fs"
finish
