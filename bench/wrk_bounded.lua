-- wrk script for bench/emulator_vs_nginx.sh: a bounded number of requests.
--
-- Each wrk thread stops after BENCH_PER_THREAD responses (wrk.thread:stop());
-- the rate is counted from the earliest thread start to the latest thread
-- end (monotonic clock through LuaJIT's ffi), so it does not depend on wrk's
-- -d, which only bounds the time. The last thread to finish sends SIGINT to
-- wrk so it stops waiting for -d. done() prints one line:
--   BENCH <responses> <responses with status >= 400> <seconds, or inf if a thread did not finish>
-- Environment: BENCH_PER_THREAD, BENCH_THREADS (the -t value), BENCH_METHOD,
-- BENCH_BODY (a form body), BENCH_AUTH (an Authorization header value).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec* ts);
int kill(int pid, int sig);
int getpid(void);
void* calloc(size_t n, size_t size);
]]
local CLOCK_MONOTONIC, SIGINT = 1, 2
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local auth = os.getenv("BENCH_AUTH") or ""
if auth ~= "" then wrk.headers["Authorization"] = auth end
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

-- Main Lua state: one "finished" flag per thread, in memory shared by address.
local threads = {}
local flags = nil
function setup(thread)
  if flags == nil then flags = ffi.cast("int*", ffi.C.calloc(nthreads, ffi.sizeof("int"))) end
  thread:set("index", #threads)
  thread:set("flags_addr", tostring(tonumber(ffi.cast("intptr_t", flags))))
  table.insert(threads, thread)
end

-- Per-thread Lua states.
started, finished, count, errors = 0, 0, 0, 0
local limit, my_flags = 0, nil
function init(args)
  limit = tonumber(os.getenv("BENCH_PER_THREAD") or "0")
  my_flags = ffi.cast("int*", ffi.cast("intptr_t", tonumber(flags_addr)))
  started = now()
end

function response(status)
  count = count + 1
  if status >= 400 then errors = errors + 1 end
  if count == limit then
    finished = now()
    my_flags[index] = 1
    wrk.thread:stop()
    for i = 0, nthreads - 1 do
      if my_flags[i] == 0 then return end
    end
    ffi.C.kill(ffi.C.getpid(), SIGINT)
  end
end

function done(summary, latency, requests)
  local first, last, total, errs = math.huge, 0, 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("count")
    errs = errs + t:get("errors")
    first = math.min(first, t:get("started"))
    local f = t:get("finished")
    if f == 0 then last = math.huge elseif last ~= math.huge then last = math.max(last, f) end
  end
  if last == math.huge then
    io.write(string.format("BENCH %d %d inf\n", total, errs))
  else
    io.write(string.format("BENCH %d %d %.6f\n", total, errs, last - first))
  end
end
