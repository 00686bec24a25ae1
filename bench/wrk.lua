-- The requests of one benchmark scenario, for wrk.
--
--   wrk ... -s bench/wrk.lua URL -- SCENARIO DATA_FILE PAUSE_MS
--
-- DATA_FILE has one line per user (tab-separated): bearer token, email,
-- comma-separated todo ids, change-feed cursor, list ETag. Each request is
-- made for a random user. Each connection waits PAUSE_MS before each request
-- (a paced, moderate load). The result is one line: BENCH_RESULT {json}.

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

local scenario, pause
local users = {}
ok, bad, queries, cpu_us, costed = 0, 0, 0, 0, 0

local function split(text, separator)
  local parts = {}
  for part in string.gmatch(text, "([^" .. separator .. "]+)") do
    table.insert(parts, part)
  end
  return parts
end

function init(args)
  scenario = args[1]
  pause = tonumber(args[3] or "0")
  for line in io.lines(args[2]) do
    local fields = {}
    for field in string.gmatch(line .. "\t", "([^\t]*)\t") do
      table.insert(fields, field)
    end
    table.insert(users, {
      token = fields[1], email = fields[2], ids = split(fields[3] or "", ","),
      cursor = fields[4], etag = fields[5],
    })
  end
  math.randomseed(os.time() * 100 + thread_id)
end

function delay()
  return pause
end

local json_headers = {["Content-Type"] = "application/json"}

local function authorized(user, extra)
  local headers = {["Authorization"] = "Bearer " .. user.token}
  for name, value in pairs(extra or {}) do
    headers[name] = value
  end
  return headers
end

local function any_id(user)
  return user.ids[math.random(#user.ids)]
end

local function toggle()
  return math.random() < 0.5 and "true" or "false"
end

local builders = {}

builders.ceiling = function(user)
  return wrk.format("GET", "/bench/ceiling")
end

builders.list = function(user)
  return wrk.format("GET", "/api/v1/todos", authorized(user))
end

builders.list_filtered = function(user)
  return wrk.format("GET",
    "/api/v1/todos?completed=false&priority=high,medium&tag=work&search=report"
    .. "&due_after=2020-01-01&ordering=-due_date,title", authorized(user))
end

builders.detail = function(user)
  return wrk.format("GET", "/api/v1/todos/" .. any_id(user), authorized(user))
end

builders.create = function(user)
  return wrk.format("POST", "/api/v1/todos", authorized(user, json_headers),
    '{"title": "bench new todo", "priority": "high", "tags": ["bench", "work"]}')
end

builders.patch = function(user)
  return wrk.format("PATCH", "/api/v1/todos/" .. any_id(user), authorized(user, json_headers),
    '{"completed": ' .. toggle() .. '}')
end

-- Another of the user's todos than `id` (the one a move goes after).
local function other_id(user, id)
  local other = any_id(user)
  while other == id and #user.ids > 1 do other = any_id(user) end
  return other
end

builders.move = function(user)
  local id = any_id(user)
  local after = (#user.ids < 2 or math.random() < 0.2) and "null" or other_id(user, id)
  return wrk.format("POST", "/api/v1/todos/" .. id .. "/move",
    authorized(user, json_headers), '{"after": ' .. after .. '}')
end

builders.lists = function(user)
  return wrk.format("GET", "/api/v1/lists", authorized(user))
end

builders.stats = function(user)
  return wrk.format("GET", "/api/v1/todos/stats", authorized(user))
end

builders.changes = function(user)
  return wrk.format("GET", "/api/v1/todos/changes?cursor=" .. user.cursor, authorized(user))
end

builders.bulk = function(user)
  local operations = {}
  for index = 1, 30 do
    table.insert(operations, '{"op": "create", "data": {"title": "bench new todo ' .. index .. '"}}')
  end
  for _ = 1, 20 do
    table.insert(operations, '{"op": "update", "id": ' .. any_id(user)
      .. ', "data": {"completed": ' .. toggle() .. '}}')
  end
  return wrk.format("POST", "/api/v1/todos/bulk", authorized(user, json_headers),
    '{"operations": [' .. table.concat(operations, ", ") .. ']}')
end

builders.list_304 = function(user)
  return wrk.format("GET", "/api/v1/todos", authorized(user, {["If-None-Match"] = user.etag}))
end

builders.signin = function(user)
  return wrk.format("POST", "/api/v1/auth/signin", json_headers,
    '{"email": "' .. user.email .. '", "password": "bench-password-not-secret"}')
end

-- 60% list, 15% detail, 10% create, 10% patch, 5% stats.
builders.mix = function(user)
  local pick = math.random()
  if pick < 0.60 then return builders.list(user) end
  if pick < 0.75 then return builders.detail(user) end
  if pick < 0.85 then return builders.create(user) end
  if pick < 0.95 then return builders.patch(user) end
  return builders.stats(user)
end

local expected = {create = 201, list_304 = 304}

function request()
  return builders[scenario](users[math.random(#users)])
end

local function header(headers, name)
  return headers[name] or headers[string.lower(name)]
end

function response(status, headers, body)
  local wanted = expected[scenario]
  local good
  if wanted then
    good = status == wanted
  else
    good = status >= 200 and status < 300
  end
  if good then ok = ok + 1 else bad = bad + 1 end
  local count = header(headers, "X-Bench-Queries")
  if count then
    queries = queries + tonumber(count)
    cpu_us = cpu_us + tonumber(header(headers, "X-Bench-CPU-us") or "0")
    costed = costed + 1
  end
end

function done(summary, latency, requests)
  local totals = {ok = 0, bad = 0, queries = 0, cpu_us = 0, costed = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"duration_us": %d, "requests": %d, "ok": %d, "bad": %d, '
    .. '"socket_errors": %d, "queries": %d, "cpu_us": %d, "costed": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %d}\n',
    summary.duration, summary.requests, totals.ok, totals.bad,
    errors.connect + errors.read + errors.write + errors.timeout,
    totals.queries, totals.cpu_us, totals.costed,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
