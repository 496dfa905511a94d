-- pyro4.lua — a Wireshark dissector for Pyro4's wire protocol (version 48, Pyro4 4.82).
--
-- Load it for one run:
--     tshark -r capture.pcap -X lua_script:tools/wireshark/pyro4.lua -O pyro4
--     wireshark -X lua_script:tools/wireshark/pyro4.lua capture.pcap
-- or install it for good: copy it to ~/.local/lib/wireshark/plugins/.
--
-- What it shows, per Pyro message (../../../shared/protocol/PYRO4-WIRE.md §1–§4 describes the bytes;
-- tests/golden/vectors/README.md uses the same names):
--   * the 24-byte header: magic, version, message type and flags by their Pyro4 names, seq, data
--     size, serializer by name, annotations size, reserved, checksum (recomputed: valid/invalid);
--   * every annotation chunk (key, length, value); CORR as a UUID, HMAC as hex, STRM as text;
--   * the payload: json/serpent/ping text, inflated first when FLAGS_COMPRESSED is set; the text
--     of a marshal string (the CONNECTFAIL of an HMAC mismatch);
--   * request/response pairing by seq within a TCP connection: "Response in frame" on CONNECT,
--     INVOKE and PING, "Request in frame" and the round-trip time on the answer (tshark needs -2
--     to show the forward link, as for HTTP);
--   * frames spanning TCP segments (reassembled), several frames in one segment;
--   * the name server's UDP broadcast: GET_NSURI and the URI it gets back.
-- It is registered on TCP 9090 (name server) and UDP 9091 (broadcast), and found on any other TCP
-- port by the "PYRO" magic + version 48 (heuristic "pyro4_tcp"; UDP: "pyro4_bc_udp").
--
-- Filter examples: pyro4.type == 4, pyro4.flags.oneway, pyro4.checksum.valid == 0,
-- pyro4.annotation.key == "HMAC", pyro4.payload.text contains "echo", pyro4.time > 0.01.

local pyro4 = Proto("pyro4", "Pyro4 Protocol")
local pyro4_bc = Proto("pyro4_bc", "Pyro4 Name Server Broadcast")

local HEADER_SIZE = 24
local PROTOCOL_VERSION = 48
local CHECKSUM_MAGIC = 0x34E9

local MSG_CONNECT, MSG_CONNECTOK, MSG_CONNECTFAIL, MSG_INVOKE, MSG_RESULT, MSG_PING = 1, 2, 3, 4, 5, 6
local message_types = {
    [1] = "MSG_CONNECT", [2] = "MSG_CONNECTOK", [3] = "MSG_CONNECTFAIL",
    [4] = "MSG_INVOKE", [5] = "MSG_RESULT", [6] = "MSG_PING",
}
local serializers = {
    [1] = "serpent", [2] = "json", [3] = "marshal", [4] = "pickle", [5] = "dill",
    [6] = "msgpack", [7] = "cloudpickle", [42] = "(none: ping)",
}
-- In bit order; the names are Pyro4's own (message.py).
local flag_bits = {
    { 0x01, "FLAGS_EXCEPTION", "exception" },
    { 0x02, "FLAGS_COMPRESSED", "compressed" },
    { 0x04, "FLAGS_ONEWAY", "oneway" },
    { 0x08, "FLAGS_BATCH", "batch" },
    { 0x10, "FLAGS_META_ON_CONNECT", "meta_on_connect" },
    { 0x20, "FLAGS_ITEMSTREAMRESULT", "itemstreamresult" },
    { 0x40, "FLAGS_KEEPSERIALIZED", "keepserialized" },
}

local f = {
    magic = ProtoField.string("pyro4.magic", "Magic", base.ASCII),
    version = ProtoField.uint16("pyro4.version", "Protocol version", base.DEC),
    type = ProtoField.uint16("pyro4.type", "Message type", base.DEC, message_types),
    flags = ProtoField.uint16("pyro4.flags", "Flags", base.HEX),
    flag_names = ProtoField.string("pyro4.flags.names", "Flag names"),
    seq = ProtoField.uint16("pyro4.seq", "Sequence number", base.DEC),
    data_size = ProtoField.int32("pyro4.data_size", "Data size", base.DEC),
    serializer = ProtoField.uint16("pyro4.serializer", "Serializer", base.DEC, serializers),
    annotations_size = ProtoField.uint16("pyro4.annotations_size", "Annotations size", base.DEC),
    reserved = ProtoField.uint16("pyro4.reserved", "Reserved", base.HEX),
    checksum = ProtoField.uint16("pyro4.checksum", "Header checksum", base.HEX),
    checksum_valid = ProtoField.bool("pyro4.checksum.valid", "Checksum valid"),
    checksum_computed = ProtoField.uint16("pyro4.checksum.computed", "Computed checksum", base.HEX),
    annotation = ProtoField.none("pyro4.annotation", "Annotation"),
    ann_key = ProtoField.string("pyro4.annotation.key", "Key", base.ASCII),
    ann_length = ProtoField.uint16("pyro4.annotation.length", "Length", base.DEC),
    ann_value = ProtoField.bytes("pyro4.annotation.value", "Value"),
    ann_corr = ProtoField.guid("pyro4.annotation.corr", "Correlation id (CORR)"),
    ann_hmac = ProtoField.bytes("pyro4.annotation.hmac", "HMAC-SHA1 (HMAC)"),
    ann_strm = ProtoField.string("pyro4.annotation.strm", "Stream id (STRM)"),
    hmac_present = ProtoField.bool("pyro4.hmac_present", "HMAC present"),
    payload = ProtoField.bytes("pyro4.payload", "Payload"),
    payload_compressed = ProtoField.bool("pyro4.payload.compressed", "Payload compressed"),
    payload_inflated_size = ProtoField.uint32("pyro4.payload.decompressed_size", "Decompressed size"),
    payload_text = ProtoField.string("pyro4.payload.text", "Payload text", base.UNICODE),
    payload_marshal = ProtoField.string("pyro4.payload.marshal_text", "Marshal string", base.UNICODE),
    invoke_object = ProtoField.string("pyro4.invoke.object", "Object id"),
    invoke_method = ProtoField.string("pyro4.invoke.method", "Method"),
    response_in = ProtoField.framenum("pyro4.response_in", "Response in frame", base.NONE, frametype.RESPONSE),
    request_in = ProtoField.framenum("pyro4.request_in", "Request in frame", base.NONE, frametype.REQUEST),
    time = ProtoField.relative_time("pyro4.time", "Time since request"),
}
for _, bit in ipairs(flag_bits) do
    f["flag_" .. bit[3]] = ProtoField.bool("pyro4.flags." .. bit[3], bit[2], 16, nil, bit[1])
end
local field_list = {}
for _, field in pairs(f) do field_list[#field_list + 1] = field end
pyro4.fields = field_list

local e = {
    bad_magic = ProtoExpert.new("pyro4.bad_magic", "Not a Pyro frame (magic is not PYRO)",
                                expert.group.MALFORMED, expert.severity.ERROR),
    bad_version = ProtoExpert.new("pyro4.bad_version", "Protocol version is not 48",
                                  expert.group.PROTOCOL, expert.severity.WARN),
    bad_checksum = ProtoExpert.new("pyro4.bad_checksum", "Header checksum mismatch",
                                   expert.group.CHECKSUM, expert.severity.ERROR),
    bad_type = ProtoExpert.new("pyro4.bad_type", "Unknown message type",
                               expert.group.PROTOCOL, expert.severity.WARN),
    bad_annotation = ProtoExpert.new("pyro4.bad_annotation", "Annotation chunk runs past annotations_size",
                                     expert.group.MALFORMED, expert.severity.ERROR),
    inflate_failed = ProtoExpert.new("pyro4.inflate_failed", "Compressed payload could not be inflated",
                                     expert.group.UNDECODED, expert.severity.WARN),
    no_response = ProtoExpert.new("pyro4.no_response", "No response seen to this request",
                                  expert.group.SEQUENCE, expert.severity.NOTE),
    exception = ProtoExpert.new("pyro4.exception", "Remote exception (FLAGS_EXCEPTION)",
                                expert.group.RESPONSE_CODE, expert.severity.NOTE),
}
pyro4.experts = { e.bad_magic, e.bad_version, e.bad_checksum, e.bad_type, e.bad_annotation,
                  e.inflate_failed, e.no_response, e.exception }

local function has_flag(flags, bit)
    return math.floor(flags / bit) % 2 == 1
end

local function flag_names_of(flags)
    local names = {}
    for _, bit in ipairs(flag_bits) do
        if has_flag(flags, bit[1]) then names[#names + 1] = bit[2] end
    end
    return table.concat(names, ",")
end

-- Pairing state, filled on the first pass (pinfo.visited false) and read on every pass.
-- A message is identified by frame number, direction, type and seq: one TCP segment may carry
-- several Pyro frames, but never two of one type and seq in one direction.
local pending = {}   -- conversation key -> seq -> list of open requests
local links = {}     -- message key -> { request_in=, response_in=, rtt= }

local function endpoint(addr, port) return tostring(addr) .. ":" .. tostring(port) end

local function conversation_key(pinfo)
    local a, b = endpoint(pinfo.src, pinfo.src_port), endpoint(pinfo.dst, pinfo.dst_port)
    if a < b then return a .. "|" .. b end
    return b .. "|" .. a
end

local function expects_answer(msg_type, flags)
    if msg_type == MSG_CONNECT or msg_type == MSG_PING then return true end
    return msg_type == MSG_INVOKE and not has_flag(flags, 0x04)
end

local function answers(request_type, msg_type)
    if request_type == MSG_CONNECT then return msg_type == MSG_CONNECTOK or msg_type == MSG_CONNECTFAIL end
    if request_type == MSG_INVOKE then return msg_type == MSG_RESULT end
    return request_type == MSG_PING and msg_type == MSG_PING
end

local function pair(pinfo, msg_type, flags, seq, key)
    if pinfo.visited then return links[key] end
    local conv = conversation_key(pinfo)
    local from = endpoint(pinfo.src, pinfo.src_port)
    pending[conv] = pending[conv] or {}
    local open = pending[conv][seq] or {}
    pending[conv][seq] = open
    local link = links[key] or {}
    links[key] = link
    for i, request in ipairs(open) do
        if request.from ~= from and answers(request.type, msg_type) then
            table.remove(open, i)
            link.request_in = request.number
            link.rtt = pinfo.rel_ts - request.time
            links[request.key].response_in = pinfo.number
            return link
        end
    end
    if expects_answer(msg_type, flags) then
        open[#open + 1] = { key = key, number = pinfo.number, time = pinfo.rel_ts, type = msg_type, from = from }
        link.is_request = true
    end
    return link
end

local function nstime(seconds)
    local s = math.floor(seconds)
    return NSTime.new(s, math.floor((seconds - s) * 1e9 + 0.5))
end

local function inflate(range)
    -- Wireshark 4.0–4.2 have TvbRange:uncompress(); 4.4 renamed it uncompress_zlib().
    local ok, fn = pcall(function() return range.uncompress_zlib end)
    if not ok or not fn then
        ok, fn = pcall(function() return range.uncompress end)
        if not ok then return nil end
    end
    local ok2, tvb = pcall(fn, range, "Inflated payload")
    if ok2 then return tvb end
    return nil
end

-- A marshal string (PYRO4-WIRE.md §4.1): type byte (bit 0x80 may be set), then the length.
local function marshal_string(tvb)
    local n = tvb:len()
    if n < 2 then return nil end
    local kind = tvb(0, 1):uint() % 0x80
    if (kind == 0x7A or kind == 0x5A) and n >= 2 then
        local len = tvb(1, 1):uint()
        if 2 + len <= n then return tvb(2, len) end
    elseif (kind == 0x61 or kind == 0x41 or kind == 0x75) and n >= 5 then
        local len = tvb(1, 4):le_uint()
        if 5 + len <= n then return tvb(5, len) end
    end
    return nil
end

local function invoke_target(text, serializer)
    if serializer == 2 then
        return text:match('^{"object": "([^"]*)", "method": "([^"]*)"')
    elseif serializer == 1 then
        local body = text:gsub("^# serpent[^\n]*\n", "", 1)
        return body:match("^%('([^']*)','([^']*)'")
    end
    return nil
end

local info_frame = nil -- the frame whose Info column this dissector last wrote

local function dissect_frame(tvb, pinfo, tree)
    local total = tvb:len()
    pinfo.cols.protocol = "Pyro4"
    local subtree = tree:add(pyro4, tvb(), "Pyro4")

    local magic = tvb(0, 4):string()
    local magic_item = subtree:add(f.magic, tvb(0, 4))
    if magic ~= "PYRO" then
        magic_item:add_proto_expert_info(e.bad_magic)
        pinfo.cols.info = "Pyro4 continuation / not a Pyro frame"
        return total
    end
    local version = tvb(4, 2):uint()
    local msg_type = tvb(6, 2):uint()
    local flags = tvb(8, 2):uint()
    local seq = tvb(10, 2):uint()
    local data_size = tvb(12, 4):int()
    local serializer = tvb(16, 2):uint()
    local annotations_size = tvb(18, 2):uint()
    local checksum = tvb(22, 2):uint()
    local computed = (msg_type + version + data_size + annotations_size + serializer + flags + seq
                      + CHECKSUM_MAGIC) % 0x10000

    local version_item = subtree:add(f.version, tvb(4, 2))
    if version ~= PROTOCOL_VERSION then version_item:add_proto_expert_info(e.bad_version) end
    local type_item = subtree:add(f.type, tvb(6, 2))
    if not message_types[msg_type] then type_item:add_proto_expert_info(e.bad_type) end
    local flags_item = subtree:add(f.flags, tvb(8, 2))
    local names = flag_names_of(flags)
    flags_item:append_text(names ~= "" and (" (" .. names .. ")") or "")
    for _, bit in ipairs(flag_bits) do flags_item:add(f["flag_" .. bit[3]], tvb(8, 2)) end
    flags_item:add(f.flag_names, names):set_generated()
    subtree:add(f.seq, tvb(10, 2))
    subtree:add(f.data_size, tvb(12, 4))
    subtree:add(f.serializer, tvb(16, 2))
    subtree:add(f.annotations_size, tvb(18, 2))
    subtree:add(f.reserved, tvb(20, 2))
    local checksum_item = subtree:add(f.checksum, tvb(22, 2))
    if computed == checksum then
        checksum_item:append_text(" [correct]")
    else
        checksum_item:append_text(string.format(" [incorrect, should be 0x%04x]", computed))
        checksum_item:add_proto_expert_info(e.bad_checksum)
    end
    checksum_item:add(f.checksum_valid, computed == checksum):set_generated()
    checksum_item:add(f.checksum_computed, computed):set_generated()

    -- Annotations: key (4 ASCII), u16 length, value; back to back, annotations_size in all.
    local offset = HEADER_SIZE
    local ann_end = math.min(HEADER_SIZE + annotations_size, total)
    local hmac_present = false
    local keys = {}
    while offset < ann_end do
        if offset + 6 > ann_end then
            subtree:add_proto_expert_info(e.bad_annotation)
            break
        end
        local key = tvb(offset, 4):string()
        local length = tvb(offset + 4, 2):uint()
        local chunk_len = 6 + length
        if offset + chunk_len > ann_end then
            subtree:add(tvb(offset, ann_end - offset), "Annotation " .. key .. " (truncated)")
                :add_proto_expert_info(e.bad_annotation)
            break
        end
        local ann = subtree:add(f.annotation, tvb(offset, chunk_len))
        ann:set_text(string.format("Annotation %s (%d bytes)", key, length))
        ann:add(f.ann_key, tvb(offset, 4))
        ann:add(f.ann_length, tvb(offset + 4, 2))
        if length > 0 then
            local value = tvb(offset + 6, length)
            ann:add(f.ann_value, value)
            if key == "CORR" and length == 16 then
                ann:add(f.ann_corr, value)
                local hex = value:bytes():tohex(true, "")
                ann:append_text(": " .. hex:sub(1, 8) .. "-" .. hex:sub(9, 12) .. "-" .. hex:sub(13, 16)
                                .. "-" .. hex:sub(17, 20) .. "-" .. hex:sub(21, 32))
            elseif key == "HMAC" then
                ann:add(f.ann_hmac, value)
            elseif key == "STRM" then
                ann:add(f.ann_strm, value, value:string(ENC_UTF_8))
                ann:append_text(": " .. value:string(ENC_UTF_8))
            end
        end
        if key == "HMAC" then hmac_present = true end
        keys[#keys + 1] = key
        offset = offset + chunk_len
    end
    subtree:add(f.hmac_present, hmac_present):set_generated()

    -- Payload.
    local payload_offset = HEADER_SIZE + annotations_size
    local method_text = nil
    if data_size > 0 and payload_offset < total then
        local payload_range = tvb(payload_offset, math.min(data_size, total - payload_offset))
        local payload_item = subtree:add(f.payload, payload_range)
        local payload_tvb = payload_range:tvb()
        if has_flag(flags, 0x02) then
            payload_item:add(f.payload_compressed, true):set_generated()
            local inflated = inflate(payload_range)
            if inflated then
                payload_tvb = inflated
                payload_item:add(f.payload_inflated_size, inflated:len()):set_generated()
            else
                payload_item:add_proto_expert_info(e.inflate_failed)
                payload_tvb = nil
            end
        end
        if payload_tvb and payload_tvb:len() > 0 then
            if serializer == 1 or serializer == 2 or serializer == 42 then
                local text = payload_tvb():string(ENC_UTF_8)
                payload_item:add(f.payload_text, payload_tvb())
                if msg_type == MSG_INVOKE then
                    local object, method = invoke_target(text, serializer)
                    if object then
                        payload_item:add(f.invoke_object, object):set_generated()
                        payload_item:add(f.invoke_method, method):set_generated()
                        method_text = object .. "." .. method
                    end
                end
            elseif serializer == 3 then
                local str = marshal_string(payload_tvb)
                if str then payload_item:add(f.payload_marshal, str, str:string(ENC_UTF_8)) end
            end
        end
    end

    -- Request/response pairing by seq.
    local key = table.concat({ pinfo.number, endpoint(pinfo.src, pinfo.src_port), msg_type, seq }, "/")
    local link = pair(pinfo, msg_type, flags, seq, key)
    if link then
        if link.response_in then
            subtree:add(f.response_in, link.response_in):set_generated()
        elseif link.is_request then
            subtree:add_proto_expert_info(e.no_response)
        end
        if link.request_in then
            subtree:add(f.request_in, link.request_in):set_generated()
            subtree:add(f.time, nstime(link.rtt)):set_generated()
        end
    end
    if has_flag(flags, 0x01) then subtree:add_proto_expert_info(e.exception) end

    -- Tree and Info column summaries.
    local summary = string.format("%s seq=%d", message_types[msg_type] or ("type " .. msg_type), seq)
    if names ~= "" then summary = summary .. " [" .. names .. "]" end
    summary = summary .. " " .. (serializers[serializer] or ("serializer " .. serializer))
    if method_text then summary = summary .. " " .. method_text .. "()" end
    if #keys > 0 then summary = summary .. " {" .. table.concat(keys, ",") .. "}" end
    subtree:append_text(", " .. summary)
    if info_frame ~= pinfo.number then
        pinfo.cols.info = summary
        info_frame = pinfo.number
    else
        pinfo.cols.info:append("; " .. summary)
    end
    return total
end

-- Length of the frame that starts at offset: header + annotations + payload.
local function frame_length(tvb, pinfo, offset)
    if tvb(offset, 4):string() ~= "PYRO" then
        return tvb:len() - offset -- out of step: swallow the rest of this segment
    end
    local data_size = tvb(offset + 12, 4):int()
    if data_size < 0 then return tvb:len() - offset end
    return HEADER_SIZE + tvb(offset + 18, 2):uint() + data_size
end

local function dissect_pyro4(tvb, pinfo, tree)
    dissect_tcp_pdus(tvb, tree, HEADER_SIZE, frame_length, dissect_frame, true)
    return tvb:len()
end
pyro4.dissector = dissect_pyro4

-- Heuristic: "PYRO" and version 48; with a whole header, the checksum must hold too.
local function looks_like_pyro(tvb)
    local n = tvb:len()
    if n < 6 or tvb(0, 4):string() ~= "PYRO" or tvb(4, 2):uint() ~= PROTOCOL_VERSION then
        return false
    end
    if n >= HEADER_SIZE then
        local sum = 0
        for _, o in ipairs({ 4, 6, 8, 10, 16, 18 }) do sum = sum + tvb(o, 2):uint() end
        sum = sum + tvb(12, 4):int() + CHECKSUM_MAGIC
        return sum % 0x10000 == tvb(22, 2):uint()
    end
    return true
end

local function heuristic_tcp(tvb, pinfo, tree)
    if not looks_like_pyro(tvb) then return false end
    pinfo.conversation = pyro4 -- later segments of this connection come straight here
    -- A plain Lua call: pyro4.dissector would go through call_dissector, which uses up
    -- pinfo.can_desegment, and a frame split across segments would not be reassembled.
    dissect_pyro4(tvb, pinfo, tree)
    return true
end

-- Name server broadcast (PYRO4-WIRE.md §8): "GET_NSURI" out, the name server's URI back.
local bf = {
    request = ProtoField.string("pyro4_bc.request", "Request", base.ASCII),
    uri = ProtoField.string("pyro4_bc.uri", "Name server URI"),
    response_in = ProtoField.framenum("pyro4_bc.response_in", "Response in frame", base.NONE, frametype.RESPONSE),
    request_in = ProtoField.framenum("pyro4_bc.request_in", "Request in frame", base.NONE, frametype.REQUEST),
}
pyro4_bc.fields = { bf.request, bf.uri, bf.response_in, bf.request_in }
local bc_requests = {}  -- requester endpoint -> frame number of its latest GET_NSURI
local bc_links = {}     -- frame number -> { request_in=, response_in= }
local bc_ports = { [9091] = true }

local function is_uri(text)
    return text:match("^PYRO:[^@]+@.+$") ~= nil
end

function pyro4_bc.dissector(tvb, pinfo, tree)
    local n = tvb:len()
    if n == 0 then return 0 end
    local text = tvb():string()
    pinfo.cols.protocol = "Pyro4 BC"
    local subtree = tree:add(pyro4_bc, tvb())
    local link = bc_links[pinfo.number] or {}
    if text == "GET_NSURI" then
        subtree:add(bf.request, tvb())
        pinfo.cols.info = "GET_NSURI (where is the name server?)"
        if not pinfo.visited then
            bc_requests[endpoint(pinfo.src, pinfo.src_port)] = pinfo.number
            bc_ports[pinfo.dst_port] = true
            bc_links[pinfo.number] = link
        end
        if link.response_in then subtree:add(bf.response_in, link.response_in):set_generated() end
    else
        subtree:add(bf.uri, tvb(), tvb():string(ENC_ISO_8859_1))
        pinfo.cols.info = "Name server at " .. text
        if not pinfo.visited then
            local requester = endpoint(pinfo.dst, pinfo.dst_port)
            local request = bc_requests[requester]
            if request then
                link.request_in = request
                bc_links[request].response_in = pinfo.number
                bc_requests[requester] = nil
            end
            bc_links[pinfo.number] = link
        end
        if link.request_in then subtree:add(bf.request_in, link.request_in):set_generated() end
    end
    return n
end

local function heuristic_udp(tvb, pinfo, tree)
    local n = tvb:len()
    if n == 9 and tvb():string() == "GET_NSURI" then
        pyro4_bc.dissector(tvb, pinfo, tree)
        return true
    end
    -- A reply: a PYRO: URI of at most 100 bytes, from a port that was asked GET_NSURI.
    if n >= 8 and n <= 100 and bc_ports[pinfo.src_port] and is_uri(tvb():string()) then
        pyro4_bc.dissector(tvb, pinfo, tree)
        return true
    end
    return false
end

function pyro4.init()
    pending, links, info_frame = {}, {}, nil
    bc_requests, bc_links, bc_ports = {}, {}, { [9091] = true }
end

DissectorTable.get("tcp.port"):add(9090, pyro4)
DissectorTable.get("udp.port"):add(9091, pyro4_bc)
pyro4:register_heuristic("tcp", heuristic_tcp)
pyro4_bc:register_heuristic("udp", heuristic_udp)
