-- wrk's request script for scenarios/text-batch-wrk.json: POSTs batches of generated texts to
-- memgate-text-service's /embed, like text-batch-http.json's built-in driver.
--   wrk ... -s embed_batches.lua URL -- BATCH_SIZE SEED
-- The bodies are built once per wrk thread (512 batches of 4 to 40 words a text, from SEED)
-- and sent in turn, so wrk spends its time on the connection, not on building JSON.

local bodies = {}
local next_body = 1

function init(args)
  local batch_size = tonumber(args[1] or "32")
  math.randomseed(tonumber(args[2] or "7"))
  for b = 1, 512 do
    local texts = {}
    for t = 1, batch_size do
      local words = {}
      for w = 1, math.random(4, 40) do words[w] = "w" .. math.random(1, 50000) end
      texts[t] = '"' .. table.concat(words, " ") .. '"'
    end
    bodies[b] = '{"texts": [' .. table.concat(texts, ",") .. ']}'
  end
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
