#!/usr/bin/env bash
# SIGTERM (an upgrade restart) with I/O in flight: the daemon exits 0, hands the device over, and after the
# restart fio has seen no I/O error. Where the kernel offers UBLK_F_QUIESCE, the hand-over drains I/O first.
. "$(dirname "$0")/../lib.sh"

start_daemon
create_device '{"name":"upgrade","target":"file","path":"'"$WORK"'/upgrade.img","size":"256MiB","create":true,
                "queue_depth":64}'
id=$DEV_ID
fio --name=upgrade --filename="$DEV" --ioengine=io_uring --direct=1 --rw=randwrite --bsrange=4k-64k --iodepth=32 \
    --size=128M --verify=crc32c --verify_fatal=1 --verify_state_save=0 --output-format=json \
    --output="$OUT/fio.json" &
fio_pid=$!
for ((i = 0; i < 100; i++)); do [ "$(stat_of "$id" writes)" -gt 200 ] 2>/dev/null && break; sleep 0.1; done
term_daemon
expect_eq "$TERM_STATUS" 0 "daemon exit status on SIGTERM"
check "the device survives the daemon's exit" test -b "$DEV"
start_daemon
wait_state "$id" live 60
wait "$fio_pid"
expect_eq "$?" 0 "fio exit status"
expect_eq "$(jq '.jobs[0].error' "$OUT/fio.json")" 0 "fio saw no I/O error"
grep -q "handed over" "$DAEMON_LOG" && pass "hand-over logged" || fail "no hand-over in the log"
finish
