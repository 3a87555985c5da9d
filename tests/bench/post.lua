-- wrk script: POST Teams message activities to /api/messages.
-- args: <question, JSON-escaped without quotes> <serviceUrl> <conversations per thread> [questions file]
-- Each request is a new activity (new id) in one of N conversations per wrk thread, so conversation
-- state is read and written per turn as in a real chat. With a questions file (one JSON-escaped question
-- per line), the requests go through its questions in turn instead of repeating one.
local counter = 0
local threads = {}
local question, service_url, conversations
local questions = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  question = args[1]
  service_url = args[2]
  conversations = tonumber(args[3] or "64")
  if args[4] and args[4] ~= "" then
    for line in io.lines(args[4]) do
      if line ~= "" then table.insert(questions, line) end
    end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local conv = string.format("bench-%d-%d", tid, counter % conversations)
  local text = question
  if #questions > 0 then text = questions[(counter % #questions) + 1] end
  local body = string.format(
    '{"type":"message","id":"a%d-%d","channelId":"msteams","serviceUrl":"%s",' ..
    '"from":{"id":"29:user-%s","name":"Bench User","aadObjectId":"u-%s"},' ..
    '"conversation":{"id":"%s","conversationType":"personal","tenantId":"t-bench"},' ..
    '"recipient":{"id":"28:bot","name":"KKR bot"},"text":"%s","locale":"da-DK",' ..
    '"channelData":{"tenant":{"id":"t-bench"}}}',
    tid, counter, service_url, conv, conv, conv, text)
  return wrk.format(nil, "/api/messages", nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d status_errors=%d connect_errors=%d read_errors=%d " ..
    "write_errors=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
