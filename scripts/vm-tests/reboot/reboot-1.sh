#!/usr/bin/env bash
# Reboot test, first boot: devices with data on the persistent disk, and the daemon left running when the guest
# powers off (it gets SIGTERM, as from systemd at shutdown).
SCENARIO=reboot
. "$(dirname "$0")/../lib.sh"
rm -rf "$WORK"/*.img "$WORK"/sums "$STATE"
start_daemon
for name in first second; do
    create_device '{"name":"'"$name"'","target":"file","path":"'"$WORK/$name"'.img","size":"64MiB","create":true}'
    head -c 8388608 /dev/urandom | dd of="$DEV" bs=1M oflag=direct status=none
    echo "$DEV_ID $DEV $(head -c 8388608 "$DEV" | sha256sum | cut -c1-64)" >> "$WORK/sums"
done
cat "$WORK/sums"
expect_eq "$(wc -l < "$WORK/sums")" 2 "two devices written"
# Leave the daemon running: the guest's shutdown stops it.
[ "$FAILURES" -eq 0 ] && exit 0 || exit 1
