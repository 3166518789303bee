-- The authorization-code flow of a citizen who already signed in and consented:
--   GET /authorize (session cookie) -> 302 (or 303) with a code -> POST /token -> GET /userinfo
-- (the peer's paths: BENCH_TOKEN_PATH, BENCH_USERINFO_PATH).
-- wrk gives no connection identity to request()/response(), so each step's successor is
-- queued and the next free connection of the thread sends it: every step still runs
-- strictly after the one it depends on, and several flows are in flight per thread.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local authorize_path = os.getenv("BENCH_AUTHORIZE_PATH")
local cookie = os.getenv("BENCH_COOKIE")
local client_auth = os.getenv("BENCH_AUTHORIZATION")
local token_body_prefix = os.getenv("BENCH_TOKEN_BODY")  -- everything but the code
local token_path = os.getenv("BENCH_TOKEN_PATH") or "/token"
local userinfo_path = os.getenv("BENCH_USERINFO_PATH") or "/userinfo"

local queue, head, tail = {}, 1, 0

local function push(item)
  tail = tail + 1
  queue[tail] = item
end

local function pop()
  if head > tail then return nil end
  local item = queue[head]
  queue[head] = nil
  head = head + 1
  return item
end

-- A queued step first; otherwise a new flow starts.
function request()
  local item = pop()
  if item == nil then
    return wrk.format("GET", authorize_path, { ["Cookie"] = cookie })
  elseif item.kind == "token" then
    return wrk.format("POST", token_path, {
      ["Authorization"] = client_auth,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, token_body_prefix .. "&code=" .. item.code)
  else
    return wrk.format("GET", userinfo_path, { ["Authorization"] = "Bearer " .. item.access_token })
  end
end

-- Responses of different connections interleave: each one's step is told by its content.
function response(status, headers, body)
  local location = headers["Location"] or headers["location"]
  if (status == 302 or status == 303) and location then
    local code = string.match(location, "[?&]code=([^&]+)")
    if code then
      push({ kind = "token", code = code })
      return
    end
  elseif status == 200 then
    local access_token = string.match(body, '"access_token"%s*:%s*"([^"]+)"')
    if access_token then
      push({ kind = "userinfo", access_token = access_token })
      return
    end
    if string.find(body, '"sub"', 1, true) then
      flows = flows + 1
      return
    end
  end
  bad_status = bad_status + 1
end
