#!/usr/bin/env bash
# The nbd target against real NBD servers on loopback inside the guest: nbdkit (file plugin, TCP) and
# qemu-storage-daemon (a qcow2 image, unix socket). fio verify through both; ext4 on the qcow2 one survives a
# kill -9 of ublkd; fio verify survives a kill -9 of ublkd and a kill -9 of the server restarted 3 s later (the
# stall printed); a server gone past reconnect_timeout fails I/O with EIO, shows in the device and /health, and
# the device deletes cleanly; an export unreachable at start-up leaves its device failed until a start; bad input
# is refused with its code and leaves nothing.
. "$(dirname "$0")/../lib.sh"

command -v nbdkit >/dev/null && command -v qemu-storage-daemon >/dev/null ||
    { fail "nbdkit and qemu-storage-daemon are needed (scripts/install-deps test installs them)"; finish; }
nbdkit_pid=
start_nbdkit() {  # PORT IMAGE
    nbdkit --port "$1" --ipaddr 127.0.0.1 --pidfile "$WORK/nbdkit.pid" file "$2" || fail "nbdkit did not start"
    nbdkit_pid=$(cat "$WORK/nbdkit.pid")
}
stop_nbdkit() { kill -9 "$nbdkit_pid" 2>/dev/null; for _ in $(seq 50); do kill -0 "$nbdkit_pid" 2>/dev/null || break; sleep 0.1; done; }
qsd_pid=
cleanup_servers() {
    [ -n "$nbdkit_pid" ] && kill -9 "$nbdkit_pid" 2>/dev/null
    [ -n "$qsd_pid" ] && kill "$qsd_pid" 2>/dev/null
}
trap cleanup_servers EXIT

truncate -s 128M "$WORK/nbdkit.img"
start_nbdkit 10809 "$WORK/nbdkit.img"
qemu-img create -q -f qcow2 "$WORK/disk.qcow2" 256M
qemu-storage-daemon --blockdev driver=file,node-name=f,filename="$WORK/disk.qcow2" \
    --blockdev driver=qcow2,node-name=d,file=f --nbd-server addr.type=unix,addr.path="$WORK/qsd.sock" \
    --export type=nbd,id=e,node-name=d,name=disk,writable=on --pidfile "$WORK/qsd.pid" --daemonize ||
    fail "qemu-storage-daemon did not start"
qsd_pid=$(cat "$WORK/qsd.pid")

start_daemon
# Bad input: its code each, and nothing stored or left in the kernel.
before_devices=$(curl -s "$API/devices")
before_kernel=$(kernel_devices)
bad() {  # STATUS CODE JSON
    api POST /devices "$3"
    expect_eq "$STATUS $(field .error.code)" "$1 $2" "bad input $3"
}
bad 400 validation_failed '{"name":"x","target":"nbd","uri":"http://127.0.0.1/e"}'
bad 400 validation_failed '{"name":"x","target":"nbd","uri":"nbd://127.0.0.1:99999/e"}'
bad 400 validation_failed '{"name":"x","target":"nbd"}'
bad 400 validation_failed '{"name":"x","target":"nbd","uri":"nbd://127.0.0.1:10809/","path":"/x"}'
bad 422 backing_store_error '{"name":"x","target":"nbd","uri":"nbd://127.0.0.1:10999/"}'
bad 422 backing_store_error '{"name":"x","target":"nbd","uri":"nbd+unix:///nope?socket='"$WORK"'/qsd.sock"}'
bad 422 backing_store_error '{"name":"x","target":"nbd","uri":"nbd://127.0.0.1:10809/","size":"1GiB"}'
bad 422 backing_store_error '{"name":"x","target":"nbd","uri":"nbds://127.0.0.1:10809/"}'
expect_eq "$(curl -s "$API/devices")" "$before_devices" "bad input stored nothing"
expect_eq "$(kernel_devices)" "$before_kernel" "bad input left no kernel device"

create_device '{"name":"kit","target":"nbd","uri":"nbd://127.0.0.1:10809/","reconnect_timeout":20}'
kit=$DEV_ID kit_dev=$DEV
expect_eq "$(field .size)" 134217728 "the export's size by default"
expect_eq "$(field .connection.state)" connected "connected"
expect_eq "$(field .io_mode)" copy "nbd runs in copy mode"
create_device '{"name":"qcow","target":"nbd","uri":"nbd+unix:///disk?socket='"$WORK"'/qsd.sock"}'
qcow=$DEV_ID qcow_dev=$DEV
check "the uri is shown" grep -q 'nbd+unix:///disk' <<<"$BODY"

verify() {  # NAME DEVICE [fio options...]
    local name=$1 dev=$2
    shift 2
    fio --name="$name" --filename="$dev" --ioengine=io_uring --direct=1 --rw=randrw --bsrange=4k-128k \
        --iodepth=16 --size=48M --verify=crc32c --verify_fatal=1 --verify_state_save=0 --output-format=json \
        --output="$OUT/fio-$name.json" "$@"
}
verify_ok() {  # NAME STATUS
    expect_eq "$2 $(jq '.jobs[0].error' "$OUT/fio-$1.json")" "0 0" "$1: fio verify without error"
}
verify kit "$kit_dev"
verify_ok kit $?
verify qcow "$qcow_dev" --size=32M
verify_ok qcow $?

# ext4 on the qcow2 export survives a kill -9 of ublkd, with fio verify running on the nbdkit one.
mnt=$WORK/mnt
mkdir -p "$mnt"
check "mkfs.ext4" mkfs.ext4 -q -F "$qcow_dev"
check "mount" mount "$qcow_dev" "$mnt"
head -c 3145728 /dev/urandom > "$mnt/before" && sync
sum_before=$(sha256sum < "$mnt/before")
verify crash "$kit_dev" &
fio_pid=$!
for ((i = 0; i < 100; i++)); do [ "$(stat_of "$kit" writes)" -gt 100 ] 2>/dev/null && break; sleep 0.1; done
kill9_daemon
say "ublkd killed with SIGKILL under fio and ext4"
start_daemon
wait_state "$kit" live 60
wait_state "$qcow" live 60
wait "$fio_pid"
verify_ok crash $?
expect_eq "$(sha256sum < "$mnt/before")" "$sum_before" "ext4 data intact after the crash"
check "umount" umount "$mnt"
check "fsck -n is clean" fsck.ext4 -n -f "$qcow_dev"

# The server killed under fio verify and started again 3 s later: the I/O stalls, never fails. Time-based, so that
# fio is still writing and verifying when the server goes (a sized run could end before the kill).
verify restart "$kit_dev" --time_based --runtime=10 --verify_backlog=512 &
fio_pid=$!
for ((i = 0; i < 100; i++)); do [ "$(stat_of "$kit" writes)" -gt 200 ] 2>/dev/null && break; sleep 0.1; done
stop_nbdkit
say "nbdkit killed with SIGKILL"
sleep 3
start_nbdkit 10809 "$WORK/nbdkit.img"
wait "$fio_pid"
verify_ok restart $?
stall_ms=$(jq '[.jobs[0].read.clat_ns.max, .jobs[0].write.clat_ns.max] | max / 1e6 | floor' "$OUT/fio-restart.json")
say "longest completion across the server restart (down 3 s): $stall_ms ms"
check "fio's I/O waited through the outage (its longest completion spans it)" test "$stall_ms" -ge 2500
api GET "/devices/$kit"
expect_eq "$(field .connection.state)" connected "connected again"
check "the reconnect is counted" test "$(field .connection.reconnects)" -ge 1
sleep 1
api GET "/devices/$kit/events"
if jq -e '[.events[].kind] | index("disconnected") and index("reconnected")' >/dev/null <<<"$BODY"; then
    pass "disconnect and reconnect are events"
else
    fail "disconnect and reconnect are events: $(jq -c '[.events[].kind]' <<<"$BODY")"
fi
check "/metrics shows the connection" sh -c "curl -s $API/metrics | grep -q '^ublkd_device_reconnects_total{.*name=\"kit\"'"

# Gone for longer than reconnect_timeout: EIO within the timeout plus 5 s, the device and /health say so, and it
# deletes cleanly.
api POST /devices '{"name":"short","target":"nbd","uri":"nbd://127.0.0.1:10809/","reconnect_timeout":3}'
short=$(field .id) short_dev=$(field .block_device)
wait_for_node "$short_dev"
stop_nbdkit
started=$(date +%s)
if timeout 30 dd if="$short_dev" of=/dev/null bs=4k count=1 iflag=direct skip=$((RANDOM % 1000)) 2>"$OUT/dd.err"; then
    fail "a read succeeded with the server gone"
else
    grep -q "Input/output error" "$OUT/dd.err" && pass "the read failed with EIO" || fail "dd: $(cat "$OUT/dd.err")"
fi
took=$(( $(date +%s) - started ))
check "EIO within reconnect_timeout + 5 s (took $took s)" test "$took" -le 8
api GET "/devices/$short"
expect_eq "$(field .state) $(field .connection.state)" "failed failing" "the device says so"
api GET /health
expect_eq "$(field .status)" degraded "/health says so"
api DELETE "/devices/$short"
expect_eq "$STATUS" 204 "the failing device deletes"
check "no kernel device left" sh -c "sleep 0.5; ! test -e /sys/class/ublk-char/ublkc$short"

# Unreachable at start-up: failed with the reason while the others come back; a start once the server is back.
kill9_daemon
start_daemon
wait_state "$qcow" live 60
api GET "/devices/$kit"
expect_eq "$(field .state)" failed "an unreachable export is failed at start-up"
check "with the reason" grep -q "10809" <<<"$(field .error)"
start_nbdkit 10809 "$WORK/nbdkit.img"
api POST "/devices/$kit/start"
expect_eq "$STATUS $(field .state)" "200 live" "it comes back by a start"
verify after "$kit_dev" --size=16M
verify_ok after $?

# A SIGTERM hand-over (an upgrade) under fio verify: no error, the same device after.
verify handover "$kit_dev" --size=24M &
fio_pid=$!
sleep 2
term_daemon
expect_eq "$TERM_STATUS" 0 "exit status on SIGTERM"
start_daemon
wait_state "$kit" live 60
wait "$fio_pid"
verify_ok handover $?
finish
