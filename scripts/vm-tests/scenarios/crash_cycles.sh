#!/usr/bin/env bash
# 20 crash/restart cycles under a running fio verify job: no I/O error, no verify failure, and every cycle is an
# event row.
. "$(dirname "$0")/../lib.sh"
cycles=${UBLKD_CRASH_CYCLES:-20}

start_daemon
create_device '{"name":"cycles","target":"file","path":"'"$WORK"'/cycles.img","size":"256MiB","create":true,
                "queues":2,"queue_depth":64}'
id=$DEV_ID
fio --name=cycles --filename="$DEV" --ioengine=io_uring --direct=1 --rw=randwrite --bsrange=4k-32k --iodepth=16 \
    --size=128M --loops=1000 --runtime=$((cycles * 4 + 20)) --verify=crc32c --verify_fatal=1 \
    --verify_state_save=0 --output-format=json --output="$OUT/fio.json" &
fio_pid=$!
for ((cycle = 1; cycle <= cycles; cycle++)); do
    sleep 1.5
    kill9_daemon
    start_daemon
    if ! wait_state "$id" live 60; then break; fi
    kill -0 "$fio_pid" 2>/dev/null || { fail "fio ended during cycle $cycle"; break; }
done
say "cycles done: $((cycle - 1))"
wait "$fio_pid"
expect_eq "$?" 0 "fio exit status"
expect_eq "$(jq '.jobs[0].error' "$OUT/fio.json")" 0 "fio saw no I/O or verify error"
api GET "/devices/$id/events?limit=1000"
expect_eq "$(jq '[.events[] | select(.kind == "crash_recovery" and .outcome == "ok")] | length' <<<"$BODY")" \
    "$cycles" "one successful crash_recovery event per cycle"
finish
