-- wrk script for `POST /v1/blobs/signed` (Benchmarks/mesh/http_wrk.sh): every request posts a new signed blob.
-- Arguments: FILE TOKEN. Thread N posts the blobs of FILE.N (written by http_ingest_blobs.py) once each and stops
-- when they run out; responses other than 201 Created are counted and reported.
local threads = {}

function setup(thread)
    thread:set("part", #threads)
    table.insert(threads, thread)
end

function init(args)
    local handle = assert(io.open(args[1] .. "." .. part, "rb"))
    local data = handle:read("*a")
    handle:close()
    blobs = {}
    local offset = 1
    while offset <= #data do
        local b1, b2, b3, b4 = data:byte(offset, offset + 3)
        local length = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
        table.insert(blobs, data:sub(offset + 4, offset + 3 + length))
        offset = offset + 4 + length
    end
    headers = { ["Authorization"] = "Bearer " .. args[2], ["Content-Type"] = "application/octet-stream" }
    sent = 0
    created = 0
    other = 0
end

function request()
    sent = sent + 1
    if sent > #blobs then
        wrk.thread:stop()
        return wrk.format("GET", "/healthz")
    end
    return wrk.format("POST", "/v1/blobs/signed", headers, blobs[sent])
end

function response(status, headers, body)
    if status == 201 then
        created = created + 1
    elseif sent <= #blobs then
        other = other + 1
    end
end

function done(summary, latency, requests)
    local created, other = 0, 0
    for _, thread in ipairs(threads) do
        created = created + thread:get("created")
        other = other + thread:get("other")
    end
    io.write(string.format("created: %d\nnot created: %d\n", created, other))
end
