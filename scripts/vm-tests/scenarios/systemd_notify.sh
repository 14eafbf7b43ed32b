#!/usr/bin/env bash
# Type=notify as systemd sees it: with NOTIFY_SOCKET set, ublkd sends READY=1 only once start-up reconciliation
# is done and the API answers (a stored device is brought back first), and STOPPING=1 when SIGTERM starts the
# hand-over. The daemon runs under the kernel's no-write-execute rule (PR_SET_MDWE, kept across exec; the wrapper
# refuses to start it otherwise), which is what the unit's MemoryDenyWriteExecute=yes imposes, while it recovers
# the device and serves I/O.
. "$(dirname "$0")/../lib.sh"

listener=$(dirname "$0")/../notify-listener.py
socket=$WORK/notify.sock
notes=$OUT/notify.log
rm -f "$socket" "$notes"

# Its own output goes to a file: a leftover child holding the scenario's stdout would keep run-scenarios waiting.
python3 "$listener" "$socket" "$PORT" "$notes" >"$OUT/listener.out" 2>&1 &
listener_pid=$!

# A device for the reconciliation to bring back.
start_daemon
create_device '{"name":"notified","target":"null","size":"64MiB"}'
term_daemon

for ((i = 0; i < 100; i++)); do grep -q LISTENING "$notes" 2>/dev/null && break; sleep 0.1; done
NOTIFY_SOCKET=$socket python3 -c '
import ctypes, os, sys
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_MDWE): " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
' "$UBLKD" --state-dir "$STATE" --listen "127.0.0.1:$PORT" >>"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!

for ((i = 0; i < 300; i++)); do grep -q '^HEALTH' "$notes" 2>/dev/null && break; sleep 0.1; done
check "READY=1 sent" grep -qx 'FIELD READY=1' "$notes"
expect_eq "$(sed -n 's/^HEALTH //p' "$notes")" "200 live=1" "the API answered at READY=1, the device already live"
expect_eq "$(sed -n 's/^FIELD STATUS=//p' "$notes" | head -1)" "1 device (1 live); API on 127.0.0.1:$PORT" \
    "STATUS with the device count"
expect_eq "$(grep -c '^FIELD READY=1' "$notes")" 1 "READY=1 sent once"
check "the recovered device serves reads" dd if="$DEV" of=/dev/null bs=1M count=16 iflag=direct status=none
# Deleted now rather than by the teardown, which would need a daemon start of its own.
api DELETE "/devices/$DEV_ID"
expect_eq "$STATUS" 204 "delete"

term_daemon
expect_eq "$TERM_STATUS" 0 "exit status on SIGTERM"
wait "$listener_pid"
expect_eq "$?" 0 "the listener got STOPPING=1"
check "STOPPING=1 sent" grep -qx 'FIELD STOPPING=1' "$notes"
check "no notification failure logged" sh -c "! grep -q 'cannot notify' '$DAEMON_LOG'"
sed "s/^/[$SCENARIO] notify: /" "$notes"
[ "$FAILURES" -eq 0 ] && rm -rf "$STATE"
finish
