-- wrk script for bench/scripts/soak.sh: a mix of POST /api/chat (new conversation each), POST
-- /v1/chat/completions and GET /api/conversations, paced: each connection waits SOAK_DELAY_MS
-- between its requests, so the rate is about connections * 1000 / (delay + latency).
local token = os.getenv("UAT_TOKEN")
local delay_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
local n = 0
local conversation = os.getenv("SOAK_CONVERSATION")

request = function()
  n = n + 1
  local k = n % 8
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  if k == 7 and conversation then
    -- to the conversation the WebSocket subscribers watch: fan-out to every one of them
    return wrk.format("POST", "/api/chat", headers,
      '{"conversation_id":"' .. conversation .. '","message":"soak ' .. n .. '"}')
  elseif k < 4 then
    return wrk.format("POST", "/api/chat", headers, '{"message":"soak ' .. n .. '"}')
  elseif k < 6 then
    return wrk.format("POST", "/v1/chat/completions", headers,
      '{"model":"echo","messages":[{"role":"user","content":"soak v1"}]}')
  else
    return wrk.format("GET", "/api/conversations?limit=5", headers)
  end
end

delay = function()
  return delay_ms
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
