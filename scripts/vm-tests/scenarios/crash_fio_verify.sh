#!/usr/bin/env bash
# kill -9 of ublkd while fio verify=crc32c writes to a "reissue" device; after a restart fio finishes with no
# I/O error and no verify failure, and the device keeps its id, /dev/ublkbN and its io_mode. Once per io_mode the
# kernel offers: copy everywhere, zero_copy where the driver has UBLK_F_AUTO_BUF_REG (UBLKD_VERIFY_MODES narrows
# the list, e.g. "copy").
. "$(dirname "$0")/../lib.sh"

start_daemon
api GET /health
modes=(copy)
jq -e '.kernel.features | index("AUTO_BUF_REG")' <<<"$BODY" >/dev/null && modes+=(zero_copy)
if [ -n "${UBLKD_VERIFY_MODES:-}" ]; then
    kept=()
    for m in "${modes[@]}"; do [[ " $UBLKD_VERIFY_MODES " == *" $m "* ]] && kept+=("$m"); done
    modes=("${kept[@]}")
fi
say "io_modes to verify: ${modes[*]}"
check "at least one io_mode to verify" test "${#modes[@]}" -gt 0

for mode in "${modes[@]}"; do
    create_device '{"name":"crash-'"$mode"'","target":"file","path":"'"$WORK"'/crash-'"$mode"'.img",
                    "size":"512MiB","create":true,"queues":2,"queue_depth":64,"recovery":"reissue",
                    "io_mode":"'"$mode"'"}'
    id=$DEV_ID
    dev=$DEV
    expect_eq "$(field .io_mode)" "$mode" "$mode: the device runs io_mode $mode"
    # History outlives a deleted device, and the next device may get its id: count from here.
    recoveries=$(field .recoveries)
    fio --name=crash --filename="$dev" --ioengine=io_uring --direct=1 --rw=randwrite --bsrange=4k-64k \
        --iodepth=32 --size=256M --verify=crc32c --verify_fatal=1 --verify_state_save=0 --output-format=json \
        --output="$OUT/fio-$mode.json" &
    fio_pid=$!
    for ((i = 0; i < 100; i++)); do [ "$(stat_of "$id" writes)" -gt 200 ] 2>/dev/null && break; sleep 0.1; done
    say "$mode: writes before the crash: $(stat_of "$id" writes)"
    kill9_daemon
    say "$mode: daemon killed with SIGKILL"
    sleep 1
    start_daemon
    wait_state "$id" live 60
    wait "$fio_pid"
    fio_status=$?
    expect_eq "$fio_status" 0 "$mode: fio exit status"
    expect_eq "$(jq '.jobs[0].error' "$OUT/fio-$mode.json")" 0 "$mode: fio reports no I/O or verify error"
    check "$mode: fio wrote and verified" test "$(jq '.jobs[0].read.io_bytes' "$OUT/fio-$mode.json")" -gt 0
    api GET "/devices/$id"
    expect_eq "$(field .block_device)" "$dev" "$mode: same block device after recovery"
    expect_eq "$(field .io_mode)" "$mode" "$mode: same io_mode after recovery"
    expect_eq "$(field .recoveries)" "$((recoveries + 1))" "$mode: one recovery counted"
    expect_eq "$(field .last_recovery.kind)" crash_recovery "$mode: last recovery is a crash recovery"
    expect_eq "$(field .last_recovery.outcome)" ok "$mode: that recovery succeeded"
    api DELETE "/devices/$id"
    expect_eq "$STATUS" 204 "$mode: device deleted"
    rm -f "$WORK/crash-$mode.img"
done
finish
