-- wrk script: POSTs signed webhooks from a file made by make-bodies.py, each thread starting at
-- a different line. Usage: wrk ... -s webhook.lua URL -- BODIES_FILE
local signatures, bodies, count, next_line = {}, {}, 0, 0

function init(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\t", 1, true)
    count = count + 1
    signatures[count] = line:sub(1, tab - 1)
    bodies[count] = line:sub(tab + 1)
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  next_line = math.random(count)
end

function request()
  next_line = next_line % count + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = signatures[next_line],
  }, bodies[next_line])
end

function done(summary, latency, requests)
  local non_2xx = summary.errors.status
  io.write(string.format("non-2xx responses: %d, socket errors: %d\n", non_2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
