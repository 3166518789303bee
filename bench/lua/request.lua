-- One fixed request, repeated: BENCH_METHOD, BENCH_PATH, BENCH_BODY (form-encoded),
-- BENCH_AUTHORIZATION (an Authorization header value), BENCH_ACCEPT.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end
local accept = os.getenv("BENCH_ACCEPT")
if accept and accept ~= "" then
  wrk.headers["Accept"] = accept
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad_status = bad_status + 1
  end
end
