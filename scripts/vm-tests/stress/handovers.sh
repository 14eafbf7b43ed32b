#!/usr/bin/env bash
# Hand-overs (SIGTERM and restart) and kill -9, alternating, under unthrottled fio verify on two devices (2 queues
# x 32 and 1 x 128). Not part of make test (minutes per run, and a race shows in some runs only): scripts/vm-stress
# runs it N times. A device that does not come back gets its kernel side dumped: the daemon's threads, the
# disk's busy and requeued requests, kworkers in ublk or blk-mq.
. "$(dirname "$0")/../lib.sh"
start_daemon
create_device '{"name":"a","target":"file","path":"'"$WORK"'/a.img","size":"256MiB","create":true,"queues":2,"queue_depth":32}'
a=$DEV_ID adev=$DEV
create_device '{"name":"b","target":"file","path":"'"$WORK"'/b.img","size":"256MiB","create":true,"queue_depth":128}'
b=$DEV_ID bdev=$DEV
run_fio() { fio --name=$1 --filename=$2 --ioengine=io_uring --direct=1 --rw=randwrite --bs=4k --iodepth=16 \
    --size=200M --time_based --runtime=$3 --verify=crc32c --verify_fatal=1 --verify_backlog=256 \
    --verify_state_save=0 --output-format=json --output=$OUT/fio-$1.json; }
run_fio a $adev 150 & pa=$!
run_fio b $bdev 150 & pb=$!
dump() {
  local pid; pid=$(pgrep -f "ublkd --state-dir" | head -1)
  say "devices: $(curl -s -m 5 "$API/devices" | jq -c '[.devices[] | {id, state, error}]')"
  for t in /proc/$pid/task/*; do say "thread ${t##*/} $(cat $t/comm): $(tr '\n' ' ' < $t/stack | cut -c1-400)"; done
  for d in /sys/block/ublkb*; do say "$d inflight: $(cat $d/inflight) timeout: $(cat $d/queue/io_timeout)"; done
  for h in /sys/kernel/debug/block/ublkb*/hctx*; do say "$h busy: $(cat $h/busy 2>/dev/null | head -5 | tr '\n' ' ') dispatch: $(cat $h/dispatch | head -3 | tr '\n' ' ')"; done
  for r in /sys/kernel/debug/block/ublkb*/requeue_list; do say "$r: $(head -5 $r | tr '\n' ' ')"; done
  for p in /proc/[0-9]*; do c=$(cat $p/comm 2>/dev/null); case "$c" in kworker*) st=$(tr '\n' ' ' < $p/stack 2>/dev/null); [[ $st == *ublk* || $st == *blk_mq* ]] && say "$c ${p#/proc/}: $(cut -c1-500 <<<"$st")";; esac; done
}
for c in 1 2 3 4 5 6 7 8; do
  sleep 4
  if (( c % 2 )); then term_daemon; say "cycle $c: SIGTERM (exit $TERM_STATUS)"; else kill9_daemon; say "cycle $c: kill -9"; fi
  t0=$(date +%s.%N)
  start_daemon
  if ! wait_state "$a" live 60 || ! wait_state "$b" live 60; then fail "cycle $c: not live"; dump; break; fi
  say "cycle $c: both live $(awk -v a=$t0 -v b=$(date +%s.%N) 'BEGIN{printf "%.1f", b-a}') s after restart"
done
wait $pa; ra=$?; wait $pb; rb=$?
expect_eq "$ra $rb $(jq .jobs[0].error $OUT/fio-a.json) $(jq .jobs[0].error $OUT/fio-b.json)" "0 0 0 0" "fio ok"
finish
