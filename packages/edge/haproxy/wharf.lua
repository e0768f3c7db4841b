-- wharf-edge's Lua helpers for HAProxy, loaded by the configuration the edge renders
-- (packages/edge/src/dataplane/haproxy/haproxy-config.ts). Two jobs HAProxy's configuration
-- language cannot do: hold requests until the edge's first sync, and remove the headers a
-- message names in its Connection header (hop-by-hop for that message, RFC 9110 §7.6.1).

local state = Map.new(os.getenv("WHARF_STATE_MAP"), Map._str)
local held = Map.new(os.getenv("WHARF_HELD_MAP"), Map._str)

local function now_ms()
  local now = core.now()
  return now.sec * 1000 + now.usec / 1000
end

-- Requests that arrive before the first full sync wait here (they would all be 404s from the
-- empty table) until the edge marks the state map open, at most `wait_ms`. A worker told to
-- stop by a reload hands its held requests over to the new worker instead.
core.register_action("wharf_hold", { "http-req" }, function(txn, wait_ms)
  local deadline = now_ms() + tonumber(wait_ms)
  while state:lookup("open") ~= "1" do
    -- Boolean samples reach Lua as integers (0 is true in Lua).
    local stopping = txn.f:stopping()
    if stopping == true or stopping == 1 then
      txn:set_var("txn.wharf_gate", "handover")
      return
    end
    if now_ms() >= deadline then
      txn:set_var("txn.wharf_gate", "not_ready")
      return
    end
    core.msleep(10)
  end
end, 1)

-- A request to a route that lost its last serving endpoint a moment ago (a redeploy: the old
-- container is gone, the new one not yet registered) waits for one to appear, at most `wait_ms`
-- and never past the end of the route's grace; then the backend answers it or says 503.
core.register_action("wharf_wait_for_endpoint", { "http-req" }, function(txn, wait_ms)
  local slot = txn:get_var("txn.slot")
  local held_until = tonumber(held:lookup(slot) or "0") or 0
  local deadline = math.min(now_ms() + tonumber(wait_ms), held_until)
  while (tonumber(txn.f:nbsrv(slot)) or 0) == 0 do
    if now_ms() >= deadline then
      return
    end
    core.msleep(10)
  end
end, 1)

-- Names no Connection header may remove: the ones that frame the body and the one that routes.
local protected = {
  ["host"] = true,
  ["content-length"] = true,
  ["transfer-encoding"] = true,
}

local function listed_names(headers)
  local names = {}
  local values = headers["connection"]
  if values == nil then
    return names
  end
  for _, value in pairs(values) do
    for token in string.gmatch(value, "[^,]+") do
      local name = string.lower((string.gsub(token, "^%s*(.-)%s*$", "%1")))
      if name ~= "" and name ~= "close" and name ~= "keep-alive" and name ~= "upgrade" and not protected[name] then
        names[#names + 1] = name
      end
    end
  end
  return names
end

core.register_action("wharf_request_connection_names", { "http-req" }, function(txn)
  for _, name in ipairs(listed_names(txn.http:req_get_headers())) do
    txn.http:req_del_header(name)
  end
end)

core.register_action("wharf_response_connection_names", { "http-res" }, function(txn)
  for _, name in ipairs(listed_names(txn.http:res_get_headers())) do
    txn.http:res_del_header(name)
  end
end)
