#!/usr/bin/env bash
# Reboot test, first boot: devices with data on the persistent disk, and the daemon left running when the guest
# powers off (it gets SIGTERM, as from systemd at shutdown).
SCENARIO=reboot
. "$(dirname "$0")/../lib.sh"
rm -rf "$WORK"/*.img "$WORK"/sums "$STATE"
# An NBD server with its export on the same disk, as a host would run one next to ublkd.
truncate -s 64M "$WORK/export.img"
nbdkit --port 10810 --ipaddr 127.0.0.1 file "$WORK/export.img" || fail "nbdkit did not start"
start_daemon
for name in first second nbd; do
    if [ "$name" = nbd ]; then
        create_device '{"name":"nbd","target":"nbd","uri":"nbd://127.0.0.1:10810/"}'
    else
        create_device '{"name":"'"$name"'","target":"file","path":"'"$WORK/$name"'.img","size":"64MiB","create":true}'
    fi
    head -c 8388608 /dev/urandom | dd of="$DEV" bs=1M oflag=direct status=none
    echo "$DEV_ID $DEV $(head -c 8388608 "$DEV" | sha256sum | cut -c1-64)" >> "$WORK/sums"
done
cat "$WORK/sums"
expect_eq "$(wc -l < "$WORK/sums")" 3 "three devices written (two files, one NBD export)"
# Leave the daemon (and nbdkit) running: the guest's shutdown stops them.
[ "$FAILURES" -eq 0 ] && exit 0 || exit 1
