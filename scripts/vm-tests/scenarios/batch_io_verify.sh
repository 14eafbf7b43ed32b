#!/usr/bin/env bash
# batch_io (UBLK_F_BATCH_IO, kernel 7.0+): where the driver offers it, file devices (zero_copy and copy) and a null
# device created with "batch_io": true serve fio (verify=crc32c on the files) through a kill -9 of ublkd and a
# restart: crash recovery re-attaches them with the batch commands, fio ends with no I/O or verify error, and the
# devices still report batch_io. A SIGTERM hand-over and a delete (the queues leave once the driver aborts their
# fetches) complete too. Elsewhere the create is refused with 422 feature_unavailable and nothing is made.
. "$(dirname "$0")/../lib.sh"

start_daemon
api GET /health
if ! jq -e '.kernel.features | index("BATCH_IO")' <<<"$BODY" >/dev/null; then
    say "no BATCH_IO here ($(field .kernel.release))"
    before=$(kernel_devices)
    api POST /devices '{"name":"batch-refused","target":"null","size":"64MiB","batch_io":true}'
    expect_eq "$STATUS $(field .error.code)" "422 feature_unavailable" "batch_io refused without BATCH_IO"
    api GET /devices
    expect_eq "$(jq '.devices | length' <<<"$BODY")" 0 "no device stored"
    expect_eq "$(kernel_devices)" "$before" "no kernel device left"
    finish
fi

api POST /devices '{"name":"batch-threads","target":"null","size":"64MiB","batch_io":true,"queue_threads":2}'
expect_eq "$STATUS $(field .error.code)" "400 validation_failed" "batch_io with queue_threads 2 refused"

# name target io_mode: the fio job verifies data on files; the null target has none to verify.
devices=("batch-zc file zero_copy" "batch-copy file copy" "batch-null null zero_copy")
ids=() nodes=() pids=() names=()
for d in "${devices[@]}"; do
    read -r name target mode <<<"$d"
    if [ "$target" = file ]; then
        backing='"path":"'"$WORK/$name.img"'","create":true,'
    else
        backing=
    fi
    create_device '{"name":"'"$name"'","target":"'"$target"'",'"$backing"'"size":"256MiB","queues":2,
                    "queue_depth":64,"recovery":"reissue","io_mode":"'"$mode"'","batch_io":true}'
    expect_eq "$(field .batch_io) $(field .io_mode)" "true $mode" "$name: batch_io with io_mode $mode"
    ids+=("$DEV_ID") nodes+=("$DEV") names+=("$name")
done

for i in "${!ids[@]}"; do
    name=${names[$i]} dev=${nodes[$i]}
    if [[ "$name" == batch-null ]]; then
        job=(--rw=randrw --bs=4k --time_based --runtime=15)
    else
        job=(--rw=randwrite --bsrange=4k-64k --size=256M --verify=crc32c --verify_fatal=1 --verify_state_save=0
             --verify_backlog=256)
    fi
    fio --name="$name" --filename="$dev" --ioengine=io_uring --direct=1 --iodepth=32 "${job[@]}" \
        --output-format=json --output="$OUT/fio-$name.json" &
    pids+=($!)
done
# Crash early, while every fio still writes (the backlog verifies as it goes, so writes last the whole run).
for ((t = 0; t < 150; t++)); do
    [ "$(stat_of "${ids[0]}" writes)" -gt 200 ] 2>/dev/null && break
    sleep 0.1
done
for i in "${!ids[@]}"; do
    check "${names[$i]}: fio still running at the crash" kill -0 "${pids[$i]}"
done
kill9_daemon
say "daemon killed with SIGKILL"
sleep 1
start_daemon
for id in "${ids[@]}"; do wait_state "$id" live 60; done
for i in "${!ids[@]}"; do
    name=${names[$i]} id=${ids[$i]}
    wait "${pids[$i]}"
    expect_eq "$?" 0 "$name: fio exit status"
    expect_eq "$(jq '.jobs[0].error' "$OUT/fio-$name.json")" 0 "$name: fio reports no I/O or verify error"
    if [ "$name" != batch-null ]; then
        check "$name: fio wrote and verified" test "$(jq '.jobs[0].read.io_bytes' "$OUT/fio-$name.json")" -gt 0
    fi
    api GET "/devices/$id"
    expect_eq "$(field .batch_io)" true "$name: still batch_io after recovery"
    # Requests the dead daemon held were re-issued (reissue mode) to the batch queues of the new one.
    expect_eq "$(field .last_recovery.kind) $(field .last_recovery.outcome)" "crash_recovery ok" \
        "$name: crash recovery succeeded"
    # The new daemon's counters start at zero: what they show now, the recovered batch queues served.
    fio --name="$name-after" --filename="${nodes[$i]}" --ioengine=io_uring --direct=1 --iodepth=32 --rw=randwrite \
        --bs=4k --size=8M --output-format=json --output="$OUT/fio-$name-after.json" >/dev/null
    expect_eq "$?" 0 "$name: fio after the recovery"
    check "$name: the recovered queues served it" test "$(stat_of "$id" writes)" -ge 2048
done

# A planned hand-over (SIGTERM, QUIESCE where offered) and a restart; then data written before it still verifies.
name=${names[0]} id=${ids[0]} dev=${nodes[0]}
# fio keeps its verify state in the working directory.
cd "$OUT" || exit 1
fio --name=handover --filename="$dev" --ioengine=io_uring --direct=1 --iodepth=16 --rw=randwrite --bs=8k \
    --size=16M --offset=128M --verify=crc32c --do_verify=0 --verify_state_save=1 \
    --output-format=json --output="$OUT/fio-handover-write.json" >/dev/null
expect_eq "$?" 0 "$name: write before the hand-over"
term_daemon
expect_eq "$TERM_STATUS" 0 "SIGTERM: daemon exits cleanly"
start_daemon
wait_state "$id" live 60
fio --name=handover --filename="$dev" --ioengine=io_uring --direct=1 --iodepth=16 --rw=randwrite --bs=8k \
    --size=16M --offset=128M --verify=crc32c --verify_only --verify_state_load=1 \
    --output-format=json --output="$OUT/fio-handover-verify.json" >/dev/null
expect_eq "$?" 0 "$name: data written before the hand-over verifies after it"

for i in "${!ids[@]}"; do
    started=$(date +%s)
    api DELETE "/devices/${ids[$i]}"
    expect_eq "$STATUS" 204 "${names[$i]}: deleted"
    check "${names[$i]}: delete took under 20 s (the queues left on ABORT)" test $(($(date +%s) - started)) -lt 20
    check "${names[$i]}: block device gone" test ! -e "${nodes[$i]}"
done
rm -f "$WORK"/*.img
finish
