-- wrk script: each request wrk sends is a batch of N identical GETs written at once (HTTP/1.1 pipelining), the
-- shape of TechEmpower's plaintext test. wrk counts every response in the batch, so Requests/sec counts GETs.
-- Usage: wrk ... -s benchmarks/wrk/pipeline.lua http://host:port/plaintext -- 16
local batch

function init(args)
  local depth = tonumber(args[1]) or 1
  local one = wrk.format()
  batch = string.rep(one, depth)
end

function request()
  return batch
end
