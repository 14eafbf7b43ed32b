#!/usr/bin/env bash
# 20 crash/restart cycles under a running fio verify job: no I/O error, no verify failure, and every cycle is an
# event row.
. "$(dirname "$0")/../lib.sh"
cycles=${UBLKD_CRASH_CYCLES:-20}

rm -f "$WORK/stop-fio" "$WORK/fio-failures"
start_daemon
create_device '{"name":"cycles","target":"file","path":"'"$WORK"'/cycles.img","size":"256MiB","create":true,
                "queues":2,"queue_depth":64}'
id=$DEV_ID
# fio verify jobs back to back for as long as the cycles last: each job writes, then reads back and checks every
# block it wrote, so a write lost or torn by any crash shows as a verify failure.
(
    job=0
    while [ ! -e "$WORK/stop-fio" ]; do
        job=$((job + 1))
        fio --name=cycles --filename="$DEV" --ioengine=io_uring --direct=1 --rw=randwrite --bsrange=4k-32k \
            --iodepth=16 --size=64M --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
            --output-format=json --output="$OUT/fio-$job.json" || echo "fio job $job exited $?" >> "$WORK/fio-failures"
    done
) &
fio_loop=$!
for ((cycle = 1; cycle <= cycles; cycle++)); do
    sleep 1.5
    kill9_daemon
    start_daemon
    if ! wait_state "$id" live 60; then break; fi
done
say "cycles done: $((cycle - 1))"
touch "$WORK/stop-fio"
wait "$fio_loop"
jobs_run=$(ls "$OUT"/fio-*.json | wc -l)
say "fio verify jobs run across the cycles: $jobs_run"
check "every fio job exited 0" test ! -e "$WORK/fio-failures"
errors=$(cat "$OUT"/fio-*.json | jq -s '[.[].jobs[0].error] | add')
expect_eq "$errors" 0 "no fio job saw an I/O or verify error"
api GET "/devices/$id/events?limit=1000"
expect_eq "$(jq '[.events[] | select(.kind == "crash_recovery" and .outcome == "ok")] | length' <<<"$BODY")" \
    "$cycles" "one successful crash_recovery event per cycle"
finish
