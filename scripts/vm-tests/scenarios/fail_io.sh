#!/usr/bin/env bash
# recovery "fail_io": on a kernel that grants UBLK_F_USER_RECOVERY_FAIL_IO, I/O fails fast while no daemon runs
# and works again after recovery; elsewhere the create is refused with feature_unavailable and nothing is made.
. "$(dirname "$0")/../lib.sh"

start_daemon
api GET /health
if ! jq -e '.kernel.features | index("USER_RECOVERY_FAIL_IO")' <<<"$BODY" >/dev/null; then
    before_devices=$(curl -s "$API/devices")
    before_kernel=$(kernel_devices)
    api POST /devices '{"name":"failfast","target":"null","size":"64MiB","recovery":"fail_io"}'
    expect_eq "$STATUS" 422 "fail_io refused where the kernel lacks it"
    expect_eq "$(field .error.code)" feature_unavailable "error code"
    check "the message names the missing kernel feature" grep -q USER_RECOVERY_FAIL_IO <<<"$BODY"
    expect_eq "$(curl -s "$API/devices")" "$before_devices" "no device stored"
    expect_eq "$(kernel_devices)" "$before_kernel" "no kernel device made"
    finish
fi

create_device '{"name":"failfast","target":"file","path":"'"$WORK"'/ff.img","size":"64MiB","create":true,
                "recovery":"fail_io"}'
id=$DEV_ID
dev=$DEV
head -c 1048576 /dev/urandom > "$WORK/block"
check "write before the outage" dd if="$WORK/block" of="$dev" bs=1M count=1 oflag=direct status=none
kill9_daemon
sleep 1
started=$(date +%s%N)
if timeout 20 dd if="$dev" of=/dev/null bs=4k count=1 skip=100 iflag=direct status=none 2>"$OUT/dd.err"; then
    fail "a read during the outage succeeded"
else
    elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    say "read during the outage failed after ${elapsed_ms} ms: $(cat "$OUT/dd.err")"
    check "the failure came fast (under 5 s), not by hanging" test "$elapsed_ms" -lt 5000
fi
start_daemon
wait_state "$id" live 60
check "reads work after recovery" dd if="$dev" of="$WORK/back" bs=1M count=1 iflag=direct status=none
check "data written before the outage is intact" cmp "$WORK/block" "$WORK/back"
check "writes work after recovery" dd if="$WORK/block" of="$dev" bs=1M count=1 seek=4 oflag=direct status=none
finish
