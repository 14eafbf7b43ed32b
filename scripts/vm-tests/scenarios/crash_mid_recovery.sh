#!/usr/bin/env bash
# kill -9 of ublkd in the middle of its own recovery (after START_USER_RECOVERY, before END_USER_RECOVERY): the
# next start still brings every device back, with the data written before the first crash.
. "$(dirname "$0")/../lib.sh"

start_daemon
ids=()
for name in a b; do
    create_device '{"name":"'"$name"'","target":"file","path":"'"$WORK/$name"'.img","size":"64MiB","create":true}'
    ids+=("$DEV_ID")
    head -c 4194304 /dev/urandom > "$WORK/$name.data"
    check "write $name" dd if="$WORK/$name.data" of="$DEV" bs=1M oflag=direct status=none
done
kill9_daemon
sleep 1
# The test knob holds each recovery for 3 s right after START_USER_RECOVERY.
UBLKD_TEST_RECOVERY_PAUSE_MS=3000 "$UBLKD" --state-dir "$STATE" --listen "127.0.0.1:$PORT" >>"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
sleep 2
kill9_daemon
say "killed the daemon during its recovery"
start_daemon
for id in "${ids[@]}"; do wait_state "$id" live 90; done
for name in a b; do
    api GET /devices
    dev=$(jq -r '.devices[] | select(.name == "'"$name"'") | .block_device' <<<"$BODY")
    check "data of $name is intact" sh -c "head -c 4194304 '$dev' | cmp - '$WORK/$name.data'"
done
api GET "/devices/${ids[0]}/events"
say "recovery events of ${ids[0]}: $(jq -c '[.events[] | {kind, outcome, detail, error}]' <<<"$BODY")"
finish
