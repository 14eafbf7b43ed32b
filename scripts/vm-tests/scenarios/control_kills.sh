#!/usr/bin/env bash
# kill -9 of ublkd at a random moment 0-400 ms into a control request (create with a new file, create null,
# create nbd, delete, stop, start, and resize where the kernel has UPDATE_SIZE), 30 cycles; after each restart the
# store and the kernel must agree: every device live with its kernel device or stopped without one, no kernel
# device without a row, no backing file an interrupted create made that no device owns, no device stuck between
# states, the disk's size the stored one, and another device's data untouched.
. "$(dirname "$0")/../lib.sh"

cycles=${UBLKD_KILL_CYCLES:-30}
files=$WORK/files
rm -rf "$files" && mkdir -p "$files"
start_daemon
api GET /health
# A delete after each create keeps the device count (and so each restart) small.
ops=(create_file delete create_null delete create_nbd delete stop start)
jq -e '.kernel.features | index("UPDATE_SIZE")' <<<"$BODY" >/dev/null && ops+=(resize)
# The nbd creates' server: a create connects to it before ADD_DEV, and every restart connects again.
command -v nbdkit >/dev/null || { fail "nbdkit is needed (scripts/install-deps test installs it)"; finish; }
nbdkit --port 10821 --ipaddr 127.0.0.1 --pidfile "$WORK/export.pid" memory 64M || { fail "nbdkit did not start"; finish; }

create_device '{"name":"bystander","target":"file","path":"'"$files"'/bystander.img","size":"32MiB","create":true}'
bystander=$DEV_ID
head -c 8388608 /dev/urandom > "$WORK/bystander.data"
check "write the bystander" dd if="$WORK/bystander.data" of="$DEV" bs=1M oflag=direct status=none

orphan_kernel=0 orphan_files=0 stuck=0 mismatches=0 n=0
# A device for the operations that need one: live (stop, delete, resize) or stopped (start).
subject() {  # WANTED-STATE: sets SUBJECT to such a device's id, making one if needed
    local wanted=$1 id
    api GET /devices
    SUBJECT=$(jq -r --arg s "$wanted" '[.devices[] | select(.name != "bystander" and .state == $s)][0].id // empty' \
        <<<"$BODY")
    [ -n "$SUBJECT" ] && return 0
    n=$((n + 1))
    api POST /devices '{"name":"s'"$n"'","target":"file","path":"'"$files"'/s'"$n"'.img","size":"16MiB","create":true}'
    [ "$STATUS" = 201 ] || { fail "making a subject device answered $STATUS: $BODY"; return 1; }
    id=$(field .id)
    if [ "$wanted" = stopped ]; then api POST "/devices/$id/stop"; fi
    SUBJECT=$id
}

# Builtins where they do: under TCG every program started costs a tenth of a second or more.
check_agreement() {  # CYCLE
    local c=$1 id state desired size path sys k f rows=() paths=" "
    api GET /devices
    mapfile -t rows < <(jq -r '.devices[] | "\(.id) \(.state) \(.desired_state) \(.size) \(.path)"' <<<"$BODY")
    local ids=" "
    for row in "${rows[@]}"; do
        read -r id state desired size path <<<"$row"
        ids+="$id "
        paths+="$path "
        case "$state/$desired" in
        live/running)
            if [ -e "/sys/class/ublk-char/ublkc$id" ]; then
                read -r sys <"/sys/block/ublkb$id/size" 2>/dev/null || sys=0
                [ "$((sys * 512))" = "$size" ] || {
                    mismatches=$((mismatches + 1)); fail "cycle $c: device $id is $((sys * 512)) bytes, stored $size"; }
            else
                mismatches=$((mismatches + 1)); fail "cycle $c: device $id live without its kernel device"
            fi
            ;;
        stopped/stopped)
            [ ! -e "/sys/class/ublk-char/ublkc$id" ] || {
                mismatches=$((mismatches + 1)); fail "cycle $c: stopped device $id has a kernel device"; }
            ;;
        *)
            stuck=$((stuck + 1)); fail "cycle $c: device $id is $state (desired $desired)"
            ;;
        esac
    done
    for k in /sys/class/ublk-char/ublkc*; do
        [ -e "$k" ] || continue
        id=${k##*/ublkc}
        [[ $ids == *" $id "* ]] || { orphan_kernel=$((orphan_kernel + 1)); fail "cycle $c: kernel device $id has no row"; }
    done
    # Files this scenario's creates asked for belong to a row, or were never made, or are the kept file of a
    # device deleted on purpose (removed as soon as the delete shows).
    for f in "$files"/*.img; do
        [ -e "$f" ] || continue
        [[ $paths == *" $f "* ]] && continue
        if [ -e "$f.deleted" ]; then rm -f "$f" "$f.deleted"; continue; fi
        orphan_files=$((orphan_files + 1)); fail "cycle $c: $f has no device"
        rm -f "$f"
    done
}

# A kill while START_DEV would read the partition table from a slow server (every read takes 2 s). On 6.12 that
# read runs under the device's lock, and a daemon killed during it could not even exit: the device stayed wedged
# until a reboot (Engine's PartitionScan says why). Whatever the kernel, the daemon must die and the next one agree.
slow_start_kill() {
    local before id i curl_pid slow_pid
    command -v nbdkit >/dev/null || { fail "nbdkit is needed (scripts/install-deps test installs it)"; return; }
    nbdkit --port 10820 --ipaddr 127.0.0.1 --pidfile "$WORK/slow.pid" --filter=delay memory 64M rdelay=2 ||
        { fail "nbdkit did not start"; return; }
    for ((i = 0; i < 50; i++)); do [ -s "$WORK/slow.pid" ] && break; sleep 0.1; done
    slow_pid=$(cat "$WORK/slow.pid")
    before=$(kernel_devices)
    curl -s -o /dev/null -X POST "$API/devices" -H 'Content-Type: application/json' \
        --data-binary '{"name":"slow","target":"nbd","uri":"nbd://127.0.0.1:10820/"}' &
    curl_pid=$!
    # ADD_DEV makes the char device; START_DEV follows within a few hundred ms.
    for ((i = 0; i < 100; i++)); do [ "$(kernel_devices)" != "$before" ] && break; sleep 0.1; done
    sleep 1
    kill -9 "$DAEMON_PID"
    for ((i = 0; i < 300; i++)); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$DAEMON_PID" 2>/dev/null; then
        fail "killed during a start with a slow partition read, the daemon did not exit in 30 s: the kernel holds it"
        for i in /proc/"$DAEMON_PID"/task/*; do echo "thread $(cat "$i/comm")"; cat "$i/stack"; done 2>&1 |
            sed "s/^/[$SCENARIO] /"
        # The device is wedged: a teardown would hang on it.
        kill "$slow_pid" "$curl_pid"
        DAEMON_PID= && rm -rf "$STATE"
        finish
    fi
    wait "$DAEMON_PID" 2>/dev/null
    wait "$curl_pid" 2>/dev/null
    DAEMON_PID=
    pass "killed during a start with a slow partition read, the daemon exited"
    start_daemon
    check_agreement 0
    api GET /devices
    id=$(jq -r '.devices[] | select(.name == "slow") | .id' <<<"$BODY")
    if [ -n "$id" ]; then
        api DELETE "/devices/$id"
        expect_eq "$STATUS" 204 "the slow device deleted"
    fi
    kill "$slow_pid"
}
slow_start_kill

for ((c = 1; c <= cycles; c++)); do
    op=${ops[$(((c - 1) % ${#ops[@]}))]}
    request=()
    case $op in
    create_file)
        n=$((n + 1))
        request=(POST /devices '{"name":"c'"$n"'","target":"file","path":"'"$files"'/c'"$n"'.img","size":"16MiB","create":true}')
        ;;
    create_null)
        n=$((n + 1))
        request=(POST /devices '{"name":"c'"$n"'","target":"null","size":"1GiB"}')
        ;;
    create_nbd)
        n=$((n + 1))
        request=(POST /devices '{"name":"c'"$n"'","target":"nbd","uri":"nbd://127.0.0.1:10821/"}')
        ;;
    delete | stop | resize)
        subject live || continue
        case $op in
        delete)
            api GET "/devices/$SUBJECT"
            [ "$(field .path)" != null ] && : >"$(field .path).deleted"
            request=(DELETE "/devices/$SUBJECT")
            ;;
        stop) request=(POST "/devices/$SUBJECT/stop") ;;
        resize)
            api GET "/devices/$SUBJECT"
            request=(PATCH "/devices/$SUBJECT" '{"size":'"$(($(field .size) + 4194304))"'}')
            ;;
        esac
        ;;
    start)
        subject stopped || continue
        request=(POST "/devices/$SUBJECT/start")
        ;;
    esac
    delay_ms=$(awk -v s="$c$RANDOM" 'BEGIN { srand(s); printf "%d", rand() * 400 }')
    args=(-s -o /dev/null -X "${request[0]}" "$API${request[1]}")
    [ ${#request[@]} -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "${request[2]}")
    curl "${args[@]}" &
    curl_pid=$!
    sleep "$(awk -v m="$delay_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    kill9_daemon
    wait "$curl_pid" 2>/dev/null
    say "cycle $c: $op ${request[1]}, killed after $delay_ms ms"
    start_daemon
    # The start-up converges every device before the API answers.
    check_agreement "$c"
done

api GET "/devices/$bystander"
expect_eq "$(field .state)" live "the bystander is live"
check "the bystander's data is intact" sh -c "head -c 8388608 '$(field .block_device)' | cmp - '$WORK/bystander.data'"
say "after $cycles cycles: orphan kernel devices $orphan_kernel, orphan files $orphan_files, stuck devices $stuck, mismatches $mismatches"
expect_eq "$orphan_kernel $orphan_files $stuck $mismatches" "0 0 0 0" "store and kernel agree after every kill"
rm -rf "$files"
kill "$(cat "$WORK/export.pid")"
finish
