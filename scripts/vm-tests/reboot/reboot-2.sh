#!/usr/bin/env bash
# Reboot test, second boot: the kernel has no ublk device; ublkd alone (no API call but reading) brings every
# stored device back under its id, with the data written before the reboot.
SCENARIO=reboot
. "$(dirname "$0")/../lib.sh"
check "the first boot left its record" test -s "$WORK/sums"
expect_eq "$(kernel_devices)" "" "no ublk device before ublkd starts"
nbdkit --port 10810 --ipaddr 127.0.0.1 --pidfile "$WORK/nbdkit.pid" file "$WORK/export.img" || fail "nbdkit did not start"
start_daemon
while read -r id dev sum; do
    wait_state "$id" live 60
    api GET "/devices/$id"
    expect_eq "$(field .block_device)" "$dev" "device $id keeps its block device"
    expect_eq "$(field .last_recovery.kind)" recreate "device $id was recreated"
    expect_eq "$(head -c 8388608 "$dev" | sha256sum | cut -c1-64)" "$sum" "data of device $id intact"
done < "$WORK/sums"
api GET /health
expect_eq "$(field .last_start.recreated)" 3 "health reports three recreated devices"
rm -f "$WORK/sums"
teardown
kill "$(cat "$WORK/nbdkit.pid")" 2>/dev/null
finish
