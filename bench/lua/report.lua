-- Shared by every workload: per-thread counters and one JSON line for the harness.
-- wrk runs one Lua state per thread; setup() keeps the threads so done() can read them.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

bad_status = 0   -- responses whose status the workload did not expect
flows = 0        -- completed authorization-code flows (flow.lua only)

function done(summary, latency, requests)
  local bad, completed = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("bad_status") or 0)
    completed = completed + (thread:get("flows") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"socket_errors": %d, "status_errors": %d, "bad_status": %d, "flows": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.timeout, e.status, bad, completed,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
