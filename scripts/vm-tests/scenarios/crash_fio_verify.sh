#!/usr/bin/env bash
# kill -9 of ublkd while fio verify=crc32c writes to a "reissue" device; after a restart fio finishes with no
# I/O error and no verify failure, and the device keeps its id and /dev/ublkbN.
. "$(dirname "$0")/../lib.sh"

start_daemon
create_device '{"name":"crash","target":"file","path":"'"$WORK"'/crash.img","size":"512MiB","create":true,
                "queues":2,"queue_depth":64,"recovery":"reissue"}'
id=$DEV_ID
dev=$DEV
fio --name=crash --filename="$dev" --ioengine=io_uring --direct=1 --rw=randwrite --bsrange=4k-64k --iodepth=32 \
    --size=256M --verify=crc32c --verify_fatal=1 --verify_state_save=0 --output-format=json \
    --output="$OUT/fio.json" &
fio_pid=$!
for ((i = 0; i < 100; i++)); do [ "$(stat_of "$id" writes)" -gt 200 ] 2>/dev/null && break; sleep 0.1; done
say "writes before the crash: $(stat_of "$id" writes)"
kill9_daemon
say "daemon killed with SIGKILL"
sleep 1
start_daemon
wait_state "$id" live 60
wait "$fio_pid"
fio_status=$?
expect_eq "$fio_status" 0 "fio exit status"
expect_eq "$(jq '.jobs[0].error' "$OUT/fio.json")" 0 "fio reports no I/O or verify error"
check "fio wrote and verified" test "$(jq '.jobs[0].read.io_bytes' "$OUT/fio.json")" -gt 0
api GET "/devices/$id"
expect_eq "$(field .block_device)" "$dev" "same block device after recovery"
expect_eq "$(field .recoveries)" 1 "one recovery counted"
expect_eq "$(field .last_recovery.kind)" crash_recovery "last recovery is a crash recovery"
expect_eq "$(field .last_recovery.outcome)" ok "that recovery succeeded"
finish
