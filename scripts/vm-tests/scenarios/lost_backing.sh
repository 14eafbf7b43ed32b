#!/usr/bin/env bash
# A backing file lost while the daemon was down: that device comes back `failed` with the reason while the other
# one recovers; a manual recover works once the file is back; and a device that cannot come back can still be
# deleted cleanly while the driver holds it quiesced.
. "$(dirname "$0")/../lib.sh"

start_daemon
create_device '{"name":"keeps","target":"file","path":"'"$WORK"'/keeps.img","size":"64MiB","create":true}'
keeps=$DEV_ID
create_device '{"name":"loses","target":"file","path":"'"$WORK"'/loses.img","size":"64MiB","create":true}'
loses=$DEV_ID
loses_dev=$DEV
head -c 1048576 /dev/urandom > "$WORK/block"
check "write to the device that will lose its file" dd if="$WORK/block" of="$loses_dev" bs=1M oflag=direct \
    status=none

kill9_daemon
mv "$WORK/loses.img" "$WORK/moved.img"
start_daemon
wait_state "$keeps" live 60
api GET "/devices/$loses"
expect_eq "$(field .state)" failed "the device without its file is failed"
check "the reason names the file" grep -q "loses.img" <<<"$(field .error)"
api GET /health
expect_eq "$(field .last_start.failed) $(field .last_start.recovered)" "1 1" "health: one failed, one recovered"

mv "$WORK/moved.img" "$WORK/loses.img"
api POST "/devices/$loses/recover"
expect_eq "$STATUS $(field .state)" "200 live" "manual recover once the file is back"
check "data intact after the manual recover" sh -c "head -c 1048576 '$loses_dev' | cmp - '$WORK/block'"
api GET "/devices/$loses/events"
expect_eq "$(jq -r '[.events[] | select(.kind == "manual")][0].outcome' <<<"$BODY")" ok "manual recovery recorded"

kill9_daemon
mv "$WORK/loses.img" "$WORK/moved.img"
start_daemon
api GET "/devices/$loses"
expect_eq "$(field .state)" failed "failed again without its file"
check "the driver still holds it" test -e "/sys/class/ublk-char/ublkc$loses"
api DELETE "/devices/$loses"
expect_eq "$STATUS" 204 "delete of a device the driver holds quiesced"
check "no kernel device left" sh -c "sleep 0.5; ! test -e /sys/class/ublk-char/ublkc$loses"
api GET "/devices/$keeps"
expect_eq "$(field .state)" live "the other device is untouched"
finish
