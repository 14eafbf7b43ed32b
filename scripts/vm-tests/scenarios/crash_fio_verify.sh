#!/usr/bin/env bash
# kill -9 of ublkd while fio verify=crc32c writes to a "reissue" device; after a restart fio finishes with no
# I/O error and no verify failure, and the device keeps its id, /dev/ublkbN and its io_mode. Once per io_mode the
# kernel offers: copy everywhere, zero_copy where the driver has UBLK_F_AUTO_BUF_REG (UBLKD_VERIFY_MODES narrows
# the list, e.g. "copy"). Where the driver has UBLK_F_PER_IO_DAEMON, the last mode runs once more with two threads
# per queue ("zero_copy+2t"); elsewhere such a create is refused with feature_unavailable and leaves nothing behind.
. "$(dirname "$0")/../lib.sh"

start_daemon
api GET /health
modes=(copy)
jq -e '.kernel.features | index("AUTO_BUF_REG")' <<<"$BODY" >/dev/null && modes+=(zero_copy)
per_io=false
jq -e '.kernel.features | index("PER_IO_DAEMON")' <<<"$BODY" >/dev/null && per_io=true
if [ -n "${UBLKD_VERIFY_MODES:-}" ]; then
    kept=()
    for m in "${modes[@]}"; do [[ " $UBLKD_VERIFY_MODES " == *" $m "* ]] && kept+=("$m"); done
    modes=("${kept[@]}")
fi
check "at least one io_mode to verify" test "${#modes[@]}" -gt 0
variants=()
for m in "${modes[@]}"; do variants+=("$m"); done
if $per_io; then
    # Two threads per queue once, in the last mode (zero copy where offered): the kernel tests already verify both
    # modes with two threads, and every crash variant costs the suite about 17 s.
    variants+=("${modes[-1]}+2t")
else
    before_devices=$(curl -s "$API/devices")
    before_kernel=$(kernel_devices)
    api POST /devices '{"name":"threads","target":"null","size":"1GiB","queue_threads":2}'
    expect_eq "$STATUS $(field .error.code)" "422 feature_unavailable" "queue_threads 2 refused without PER_IO_DAEMON"
    check "the message names the missing kernel feature" grep -q PER_IO_DAEMON <<<"$BODY"
    expect_eq "$(curl -s "$API/devices")" "$before_devices" "no device stored"
    expect_eq "$(kernel_devices)" "$before_kernel" "no kernel device made"
fi
say "variants to verify: ${variants[*]}"

for variant in "${variants[@]}"; do
    mode=${variant%+2t}
    threads=1
    [[ $variant == *+2t ]] && threads=2
    create_device '{"name":"crash-'"$mode-$threads"'","target":"file","path":"'"$WORK"'/crash-'"$mode"'.img",
                    "size":"512MiB","create":true,"queues":2,"queue_depth":64,"recovery":"reissue",
                    "io_mode":"'"$mode"'","queue_threads":'"$threads"'}'
    id=$DEV_ID
    dev=$DEV
    expect_eq "$(field .io_mode)" "$mode" "$variant: the device runs io_mode $mode"
    expect_eq "$(field .queue_threads)" "$threads" "$variant: $threads thread(s) per queue"
    expect_eq "$(ls /proc/$DAEMON_PID/task | while read -r t; do cat "/proc/$DAEMON_PID/task/$t/comm"; done |
        grep -c "^ublk${id}q")" "$((2 * threads))" "$variant: $((2 * threads)) queue threads run"
    # History outlives a deleted device, and the next device may get its id: count from here.
    recoveries=$(field .recoveries)
    fio --name=crash --filename="$dev" --ioengine=io_uring --direct=1 --rw=randwrite --bsrange=4k-64k \
        --iodepth=32 --size=128M --verify=crc32c --verify_fatal=1 --verify_state_save=0 --output-format=json \
        --output="$OUT/fio-$variant.json" &
    fio_pid=$!
    for ((i = 0; i < 100; i++)); do [ "$(stat_of "$id" writes)" -gt 200 ] 2>/dev/null && break; sleep 0.1; done
    say "$variant: writes before the crash: $(stat_of "$id" writes)"
    kill9_daemon
    say "$variant: daemon killed with SIGKILL"
    sleep 1
    start_daemon
    wait_state "$id" live 60
    wait "$fio_pid"
    fio_status=$?
    expect_eq "$fio_status" 0 "$variant: fio exit status"
    expect_eq "$(jq '.jobs[0].error' "$OUT/fio-$variant.json")" 0 "$variant: fio reports no I/O or verify error"
    check "$variant: fio wrote and verified" test "$(jq '.jobs[0].read.io_bytes' "$OUT/fio-$variant.json")" -gt 0
    api GET "/devices/$id"
    expect_eq "$(field .block_device)" "$dev" "$variant: same block device after recovery"
    expect_eq "$(field .io_mode)" "$mode" "$variant: same io_mode after recovery"
    expect_eq "$(ls /proc/$DAEMON_PID/task | while read -r t; do cat "/proc/$DAEMON_PID/task/$t/comm"; done |
        grep -c "^ublk${id}q")" "$((2 * threads))" "$variant: $((2 * threads)) queue threads after recovery"
    expect_eq "$(field .recoveries)" "$((recoveries + 1))" "$variant: one recovery counted"
    expect_eq "$(field .last_recovery.kind)" crash_recovery "$variant: last recovery is a crash recovery"
    expect_eq "$(field .last_recovery.outcome)" ok "$variant: that recovery succeeded"
    api DELETE "/devices/$id"
    expect_eq "$STATUS" 204 "$variant: device deleted"
    rm -f "$WORK/crash-$mode.img"
done
finish
