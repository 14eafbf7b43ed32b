# Shared helpers of the VM scenario tests: each scenario drives a real ublkd only through curl, fio and the shell,
# as an operator would. Sourced by scripts/vm-tests/scenarios/*.sh; runs inside the test VM.
set -u

SCENARIO=${SCENARIO:-$(basename "$0" .sh)}
UBLKD=${UBLKD_BIN:-$PWD/.build/debug/ublkd}
PORT=${UBLKD_TEST_PORT:-7878}
API=http://127.0.0.1:$PORT
WORK=/srv/$SCENARIO
STATE=$WORK/state
OUT=${UBLKD_VM_OUT:-/tmp}/$SCENARIO
mkdir -p "$WORK" "$OUT"
DAEMON_LOG=$OUT/daemon.log
DAEMON_PID=
FAILURES=0

say() { echo "[$SCENARIO] $*"; }
fail() {
    FAILURES=$((FAILURES + 1))
    echo "[$SCENARIO] FAIL: $*"
}
pass() { echo "[$SCENARIO] ok: $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
expect_eq() {  # ACTUAL EXPECTED WHAT; returns 1 when they differ
    if [ "$1" == "$2" ]; then pass "$3"; else fail "$3: expected '$2', got '$1'"; return 1; fi
}
finish() {
    teardown
    if [ "$FAILURES" -eq 0 ]; then say "passed"; exit 0; fi
    say "$FAILURES check(s) failed; daemon log: $DAEMON_LOG"
    tail -n 40 "$DAEMON_LOG" | sed "s/^/[$SCENARIO] log: /"
    exit 1
}
skip() { echo "SKIP: $*"; teardown; exit 77; }

start_daemon() {
    "$UBLKD" --state-dir "$STATE" --listen "127.0.0.1:$PORT" "$@" >>"$DAEMON_LOG" 2>&1 &
    DAEMON_PID=$!
    wait_api || fail "the API did not answer after start"
}
wait_api() {
    local i
    for ((i = 0; i < 300; i++)); do
        # Any HTTP answer will do (a daemon with a token answers 401).
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/health")" != 000 ] && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
kill9_daemon() {
    kill -9 "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID" 2>/dev/null
    DAEMON_PID=
}
# Sets TERM_STATUS to the daemon's exit status.
term_daemon() {
    kill -TERM "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID"
    TERM_STATUS=$?
    DAEMON_PID=
}

# api METHOD PATH [JSON]: sets STATUS and BODY.
api() {
    local args=(-s -o "$OUT/body" -w '%{http_code}' -X "$1" "$API$2")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    STATUS=$(curl "${args[@]}")
    BODY=$(cat "$OUT/body" 2>/dev/null)
}
field() { jq -r "$1" <<<"$BODY"; }

# Creates a device from JSON; sets DEV_ID and DEV (its block device). Fails the scenario if it is not live.
create_device() {
    api POST /devices "$1"
    if [ "$STATUS" != 201 ]; then
        fail "create $1 answered $STATUS: $BODY"
        finish
    fi
    DEV_ID=$(field .id)
    DEV=$(field .block_device)
    wait_for_node "$DEV"
}
wait_for_node() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ -b "$1" ] && return 0
        sleep 0.1
    done
    fail "$1 did not appear"
}
# wait_state ID STATE [SECONDS]
wait_state() {
    local i limit=$((${3:-60} * 10)) state=
    for ((i = 0; i < limit; i++)); do
        api GET "/devices/$1"
        state=$(field .state 2>/dev/null)
        [ "$state" == "$2" ] && return 0
        sleep 0.1
    done
    fail "device $1 did not become $2 (last: $state)"
    return 1
}
stat_of() { api GET "/devices/$1/stats"; field ".$2"; }
kernel_devices() { ls /sys/class/ublk-char 2>/dev/null | sort | tr '\n' ' '; }

# Leaves no device behind for the next scenario: a daemon deletes what it manages, then stops.
teardown() {
    if [ -z "$DAEMON_PID" ] && [ -d "$STATE" ]; then start_daemon; fi
    if [ -n "$DAEMON_PID" ]; then
        api GET /devices
        local id
        for id in $(jq -r '.devices[].id' <<<"$BODY" 2>/dev/null); do api DELETE "/devices/$id"; done
        term_daemon
    fi
    rm -rf "$STATE"
}
