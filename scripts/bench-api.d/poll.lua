-- wrk script for scripts/bench-api: every connection is one poller of GET <url>.
--
-- BENCH_PACE_MS (environment) > 0 paces each connection to one request per that many ms
-- on average. The gaps are drawn uniformly from [0.5, 1.5] x the period rather than
-- fixed, because fixed gaps keep all pollers in the lock step of their first request:
-- a burst of 100 requests and then silence, which is not what independent monitoring
-- clients do. wrk does not count the delay in a request's latency (its clock starts
-- when the request is written), so the percentiles are those of the answers alone.
--
-- done() prints key=value lines for the report, prefixed "wrk." so they can be picked
-- out of wrk's own output. Statuses are counted per thread in response() and collected
-- through thread:get(), the only way wrk offers to see thread state from done().

local pace = tonumber(os.getenv("BENCH_PACE_MS") or "0") or 0
local threads = {}
local counter = 0

function setup(thread)
	counter = counter + 1
	thread:set("tid", counter)
	table.insert(threads, thread)
end

function init(args)
	-- Without a per-thread seed both threads draw the same gaps.
	math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
	statuses = {}
end

if pace > 0 then
	function delay()
		return math.floor(pace * (0.5 + math.random()))
	end
end

function response(status, headers, body)
	local k = tostring(status)
	statuses[k] = (statuses[k] or 0) + 1
end

function done(summary, latency, requests)
	local s = {}
	for _, t in ipairs(threads) do
		local ts = t:get("statuses")
		if ts then
			for k, v in pairs(ts) do s[k] = (s[k] or 0) + v end
		end
	end
	local secs = summary.duration / 1e6
	local e = summary.errors
	io.write(string.format("wrk.requests=%d\n", summary.requests))
	io.write(string.format("wrk.seconds=%.3f\n", secs))
	io.write(string.format("wrk.rps=%.2f\n", summary.requests / secs))
	-- wrk keeps latencies in microseconds.
	io.write(string.format("wrk.lat_p50_ms=%.3f\n", latency:percentile(50) / 1000))
	io.write(string.format("wrk.lat_p90_ms=%.3f\n", latency:percentile(90) / 1000))
	io.write(string.format("wrk.lat_p99_ms=%.3f\n", latency:percentile(99) / 1000))
	io.write(string.format("wrk.lat_max_ms=%.3f\n", latency.max / 1000))
	io.write(string.format("wrk.lat_mean_ms=%.3f\n", latency.mean / 1000))
	io.write(string.format("wrk.err_connect=%d\nwrk.err_read=%d\nwrk.err_write=%d\nwrk.err_status=%d\nwrk.err_timeout=%d\n",
		e.connect, e.read, e.write, e.status, e.timeout))
	local keys = {}
	for k in pairs(s) do table.insert(keys, k) end
	table.sort(keys)
	local parts = {}
	for _, k in ipairs(keys) do table.insert(parts, k .. ":" .. s[k]) end
	io.write("wrk.statuses=" .. table.concat(parts, ",") .. "\n")
end
