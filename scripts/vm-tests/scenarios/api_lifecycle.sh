#!/usr/bin/env bash
# The REST API as an operator uses it, with curl only: create a file device, run fio, compare the stats with
# fio's own counts, stop, start, delete; then every kind of bad input gets its 4xx code and changes nothing.
. "$(dirname "$0")/../lib.sh"

start_daemon
create_device '{"name":"api","target":"file","path":"'"$WORK"'/api.img","size":"256MiB","create":true,
                "queues":2,"queue_depth":32}'
id=$DEV_ID
dev=$DEV
api GET "/devices/$id"
expect_eq "$(field .state)" live "state after create"
expect_eq "$(field .size)" 268435456 "size parsed from \"256MiB\""

# 4k direct I/O reaches the driver unsplit, and with merging off every fio I/O is one request; compare deltas
# (udev and the partition scan read the device at start).
echo 2 > "/sys/block/$(basename "$dev")/queue/nomerges"
api GET "/devices/$id/stats"
reads0=$(field .reads) writes0=$(field .writes) rbytes0=$(field .read_bytes) wbytes0=$(field .write_bytes)
fio --name=stats --filename="$dev" --ioengine=io_uring --direct=1 --rw=randrw --bs=4k --iodepth=16 --size=64M \
    --number_ios=6000 --output-format=json --output="$OUT/fio.json"
expect_eq "$(jq '.jobs[0].error' "$OUT/fio.json")" 0 "fio without error"
api GET "/devices/$id/stats"
expect_eq "$(( $(field .reads) - reads0 ))" "$(jq '.jobs[0].read.total_ios' "$OUT/fio.json")" "reads match fio"
expect_eq "$(( $(field .writes) - writes0 ))" "$(jq '.jobs[0].write.total_ios' "$OUT/fio.json")" "writes match fio"
expect_eq "$(( $(field .read_bytes) - rbytes0 ))" "$(jq '.jobs[0].read.io_bytes' "$OUT/fio.json")" "read bytes exact"
expect_eq "$(( $(field .write_bytes) - wbytes0 ))" "$(jq '.jobs[0].write.io_bytes' "$OUT/fio.json")" \
    "written bytes exact"
expect_eq "$(field .errors)" 0 "no errors counted"
expect_eq "$(field '.queues | length')" 2 "a counter set per queue"

api POST "/devices/$id/stop"
expect_eq "$STATUS" 200 "stop"
expect_eq "$(field .state)" stopped "state after stop"
check "the disk is gone after stop" sh -c "sleep 0.5; ! test -e $dev"
api POST "/devices/$id/stop"
expect_eq "$STATUS" 409 "a second stop conflicts"
api POST "/devices/$id/start"
expect_eq "$STATUS" 200 "start"
expect_eq "$(field .block_device)" "$dev" "same block device after start"
wait_for_node "$dev"

# Bad input: each answer has its code, and neither the store nor the kernel changes.
before_devices=$(curl -s "$API/devices")
before_kernel=$(kernel_devices)
bad() {  # EXPECTED_STATUS EXPECTED_CODE JSON
    api POST /devices "$3"
    expect_eq "$STATUS $(field .error.code)" "$1 $2" "bad input $3"
}
bad 400 invalid_json '{"name": "x", '
bad 400 invalid_json '[1, 2]'
bad 400 validation_failed '{"name":"x","target":"null","size":4096,"colour":"red"}'
bad 400 validation_failed '{"name":"x","target":"null","size":4096,"queues":"2"}'
bad 400 validation_failed '{"name":"x","target":"null","size":0}'
bad 400 validation_failed '{"name":"x","target":"null","size":-4096}'
bad 400 validation_failed '{"name":"x","target":"null","size":1000}'
bad 400 validation_failed '{"name":"x","target":"null","size":"12 parsecs"}'
bad 400 validation_failed '{"name":"x","target":"null","size":4096,"queues":0}'
bad 400 validation_failed '{"name":"x","target":"null","size":4096,"queues":64}'
bad 400 validation_failed '{"name":"x","target":"null","size":4096,"queue_depth":0}'
bad 400 validation_failed '{"name":"x","target":"null","size":4096,"queue_depth":5000}'
bad 400 validation_failed '{"name":"x","target":"null","size":4096,"block_size":1024}'
bad 400 validation_failed '{"name":"x","target":"null","size":4096,"recovery":"maybe"}'
bad 400 validation_failed '{"name":"bad name!","target":"null","size":4096}'
bad 400 validation_failed '{"name":"x","target":"tape","size":4096}'
bad 400 validation_failed '{"name":"x","target":"file","path":"relative.img"}'
bad 409 conflict '{"name":"api","target":"null","size":4096}'
bad 422 backing_store_error '{"name":"x","target":"file","path":"'"$WORK"'/missing.img"}'
bad 422 backing_store_error '{"name":"x","target":"file","path":"'"$WORK"'/api.img","size":"1GiB"}'
bad 409 conflict '{"name":"x","target":"file","path":"'"$WORK"'/api.img","size":"1MiB","create":true}'
head -c 70000 /dev/zero | tr '\0' ' ' > "$OUT/big.json"
bad 413 payload_too_large "$(cat "$OUT/big.json"){}"
api GET /devices/999999
expect_eq "$STATUS $(field .error.code)" "404 not_found" "unknown device"
api PUT /devices
expect_eq "$STATUS $(field .error.code)" "405 method_not_allowed" "wrong method"
api GET "/devices/$id/events?limit=0"
expect_eq "$STATUS $(field .error.code)" "400 validation_failed" "bad events limit"
expect_eq "$(curl -s "$API/devices")" "$before_devices" "the store is unchanged after bad input"
expect_eq "$(kernel_devices)" "$before_kernel" "the kernel is unchanged after bad input"

api DELETE "/devices/$id"
expect_eq "$STATUS" 204 "delete"
api GET "/devices/$id"
expect_eq "$STATUS" 404 "gone after delete"
check "no kernel device after delete" sh -c "sleep 0.5; ! test -e /sys/class/ublk-char/ublkc$id"
check "the backing file stays" test -f "$WORK/api.img"
api GET "/devices/$id/events"
expect_eq "$STATUS" 404 "a deleted device's events are gone from under /devices"
api GET "/events?device_id=$id"
expect_eq "$(jq -r '[.events[].kind] | join(",")' <<<"$BODY")" "deleted,started,stopped,created" \
    "history kept after delete in /events, newest first"
term_daemon
expect_eq "$TERM_STATUS" 0 "exit status on SIGTERM"

# Partitions: a disk whose backing file holds an MBR with one partition. Where the kernel scans after the start
# (NO_AUTO_PART_SCAN offered) the partition shows; where it would scan inside the start under the device's lock
# (6.12), ublkd starts without the scan, and a loop device on top shows it.
start_daemon
api GET /health
async_scan=$(jq -e '.kernel.features | index("NO_AUTO_PART_SCAN")' <<<"$BODY" >/dev/null && echo yes || echo no)
truncate -s 16M "$WORK/parted.img"
# Entry 1 at 446: type 0x83, first sector 2048, 30720 sectors; the signature at 510.
printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\x78\x00\x00' |
    dd of="$WORK/parted.img" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$WORK/parted.img" bs=1 seek=510 conv=notrunc status=none
create_device '{"name":"parted","target":"file","path":"'"$WORK"'/parted.img"}'
parted=$DEV_ID
part=/sys/block/ublkb$parted/ublkb${parted}p1
for ((i = 0; i < 50; i++)); do [ -e "$part" ] && break; sleep 0.1; done
if [ "$async_scan" = yes ]; then
    check "the kernel scanned the partitions after the start" test -e "$part"
else
    check "started without the partition scan" test ! -e "$part"
    loop=$(losetup -fP --show "$DEV")
    for ((i = 0; i < 50; i++)); do [ -e "/sys/block/${loop#/dev/}/${loop#/dev/}p1" ] && break; sleep 0.1; done
    check "a loop device on the disk shows its partition" test -e "/sys/block/${loop#/dev/}/${loop#/dev/}p1"
    losetup -d "$loop"
fi
api DELETE "/devices/$parted"
expect_eq "$STATUS" 204 "the partitioned disk deleted"
term_daemon

# --allow-dir: paths must resolve inside; a symlink out is caught.
mkdir -p "$WORK/allowed" "$WORK/elsewhere"
truncate -s 16M "$WORK/elsewhere/outside.img" "$WORK/allowed/inside.img"
ln -sf "$WORK/elsewhere/outside.img" "$WORK/allowed/sneaky.img"
start_daemon --allow-dir "$WORK/allowed"
bad 403 path_not_allowed '{"name":"x","target":"file","path":"'"$WORK"'/elsewhere/outside.img"}'
bad 403 path_not_allowed '{"name":"x","target":"file","path":"'"$WORK"'/allowed/sneaky.img"}'
bad 403 path_not_allowed '{"name":"x","target":"file","path":"'"$WORK"'/allowed/../elsewhere/new.img","size":4096,"create":true}'
api POST /devices '{"name":"inside","target":"file","path":"'"$WORK"'/allowed/inside.img"}'
expect_eq "$STATUS" 201 "a path inside the allowed directory works"
term_daemon

# Not on loopback without a token: refused at start. With one: requests need it.
if "$UBLKD" --state-dir "$STATE" --listen 0.0.0.0:$PORT >>"$DAEMON_LOG" 2>&1; then
    fail "started on 0.0.0.0 without a token"
else
    pass "refuses a non-loopback address without a token"
fi
echo "0123456789abcdef0123" > "$WORK/token"
start_daemon --token-file "$WORK/token"
api GET /health
expect_eq "$STATUS $(field .error.code)" "401 unauthorized" "no token"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer 0123456789abcdef0123" "$API/health")
expect_eq "$STATUS" 200 "with the token"
term_daemon
start_daemon
finish
