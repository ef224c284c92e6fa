/**
 * The Lua scripts that change shared rooms in Redis (redis-directory.ts runs
 * them). Each one checks, changes and tells in one atomic step, and publishes
 * what members must hear from inside the script, so every node hears the
 * room's changes in the order Redis made them (a lock and an unlock from two
 * nodes can never arrive the other way round; docs/architecture.md §5,
 * "Several nodes"). The rules are RoomManager's and Room's (room-manager.ts,
 * room.ts) and the knock desk's, written again in Lua.
 *
 * Keys (P = the key prefix, R = a room id):
 *   P room:R:m   hash  peer id → member record "instance conn seq tokenHash [hello]"
 *   P room:R:s   hash  locked ("1"/"0"), seq (join counter: the order of `peers`); for a room made by a
 *                     node that coordinates an SFU (serve --janus): janus, publishers, sfu_t, mesh_t
 *                     (its route and thresholds, fixed when it was made, so every node agrees), pinned
 *                     ("1": its first member asked for the SFU), via ("1": its media goes through the SFU)
 *   P room:R:r   hash  peer id → token hash, or "*": who may come back into the locked room
 *   P room:R:k   hash  peer id → knock record "instance conn sinceMs tokenHash [hello]"
 *   P rooms      set   room ids (the room limit counts them)
 *   P presence   zset  "m|k R peer instance conn" → deadline (ms on Redis's clock)
 * A room exists while its member hash does. Presence is a TTL per member and
 * per knock, kept in one sorted set rather than as keys with EXPIRE, because
 * Redis expires keys lazily (a key is found expired when read, or by a
 * sampling sweep) and so cannot tell anyone in time that one went; a sorted
 * set by deadline is read directly (`reap`). Time is Redis's own (TIME), so
 * the nodes' clocks never matter.
 *
 * Every script takes the key prefix as ARGV[1]. They address keys they
 * compute, not KEYS: one Redis (or a primary with replicas), not Redis Cluster.
 */
import { PROTOCOL_VERSION } from '../protocol/index.js';
import { NOBODY_LEFT_TO_ANSWER } from './directory.js';

const PRELUDE = `
local P = ARGV[1]
local PRESENCE = P .. 'presence'
local ROOMS = P .. 'rooms'
local ENDED = {}
local function members_key(r) return P .. 'room:' .. r .. ':m' end
local function state_key(r) return P .. 'room:' .. r .. ':s' end
local function returning_key(r) return P .. 'room:' .. r .. ':r' end
local function knocks_key(r) return P .. 'room:' .. r .. ':k' end
local function channel(inst) return P .. 'node:' .. inst end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- member and knock records: "instance conn n tokenHash [hello]"
local function parse_record(rec)
  return string.match(rec, '^(%S+) (%d+) (%d+) (%S+) ?(%S*)$')
end
local function record(inst, conn, n, th, hello)
  if hello == nil or hello == '' then return inst .. ' ' .. conn .. ' ' .. n .. ' ' .. th end
  return inst .. ' ' .. conn .. ' ' .. n .. ' ' .. th .. ' ' .. hello
end
local function presence_entry(kind, r, peer, inst, conn)
  return kind .. ' ' .. r .. ' ' .. peer .. ' ' .. inst .. ' ' .. conn
end

-- a server message (protocol/messages.ts), with the protocol version
local function frame(t)
  t.v = ${PROTOCOL_VERSION}
  return cjson.encode(t)
end

local function tell_node(inst, msg)
  redis.call('PUBLISH', channel(inst), cjson.encode(msg))
end

-- frame f to every member of room r but 'except': one message per node
local function tell_room(r, except, f)
  local all = redis.call('HGETALL', members_key(r))
  local by_node, order = {}, {}
  for i = 1, #all, 2 do
    if all[i] ~= except then
      local inst, conn = parse_record(all[i + 1])
      if inst then
        if not by_node[inst] then
          by_node[inst] = {}
          table.insert(order, inst)
        end
        table.insert(by_node[inst], tonumber(conn))
      end
    end
  end
  for _, inst in ipairs(order) do tell_node(inst, {t = 'deliver', r = r, c = by_node[inst], f = f}) end
end

-- the record of 'peer' in room r if this node's connection 'conn' holds it
local function holds(r, peer, inst, conn)
  local rec = redis.call('HGET', members_key(r), peer)
  if not rec then return nil end
  local i2, c2 = parse_record(rec)
  if i2 == inst and c2 == conn then return rec end
  return nil
end

local function is_locked(r) return redis.call('HGET', state_key(r), 'locked') == '1' end

-- the room's SFU route (protocol SfuRoute) while its media goes through the SFU, else nil
local function sfu_route(r)
  local s = redis.call('HMGET', state_key(r), 'janus', 'publishers', 'pinned', 'via')
  if not s[1] or s[4] ~= '1' then return nil end
  local route = {v = 1, janus = s[1], publishers = tonumber(s[2])}
  if s[3] ~= '1' then route.auto = true end
  return route
end

-- media-mode.ts nextViaSfu on the room's own thresholds; when the mode changed, every member but
-- 'except' is told (media-path) and the new path is returned ('sfu' | 'mesh'), else ''
local function update_mode(r, except)
  local s = redis.call('HMGET', state_key(r), 'janus', 'sfu_t', 'mesh_t', 'pinned', 'via')
  if not s[1] then return '' end
  local sfu_t, mesh_t, pinned, via = tonumber(s[2]), tonumber(s[3]), s[4] == '1', s[5] == '1'
  local members = redis.call('HLEN', members_key(r))
  local next_via = via
  if pinned then next_via = true
  elseif sfu_t == 0 then next_via = via
  elseif not via then next_via = members > sfu_t
  else next_via = members > mesh_t end
  if next_via == via then return '' end
  redis.call('HSET', state_key(r), 'via', next_via and '1' or '0')
  local m = {type = 'media-path'}
  local route = sfu_route(r)
  if route then m.sfu = route end
  tell_room(r, except, frame(m))
  return next_via and 'sfu' or 'mesh'
end

-- Room.admits (room.ts)
local function admits(r, peer, th)
  if not is_locked(r) then return true end
  local expected = redis.call('HGET', returning_key(r), peer)
  return expected ~= false and (expected == '*' or expected == th)
end

-- Room.allowBack (room.ts); th '*' stands for null: any token, the first join sets it
local function allow_back(r, peer, th)
  if not is_locked(r) or redis.call('HEXISTS', members_key(r), peer) == 1 then return end
  local known = redis.call('HGET', returning_key(r), peer)
  if known == false or known == '*' then redis.call('HSET', returning_key(r), peer, th) end
end

local function knocks_oldest_first(r)
  local all = redis.call('HGETALL', knocks_key(r))
  local list = {}
  for i = 1, #all, 2 do
    local inst, conn, since, th, hello = parse_record(all[i + 1])
    if inst then table.insert(list, {peer = all[i], rec = all[i + 1], since = tonumber(since), hello = hello or ''}) end
  end
  table.sort(list, function(a, b) return a.since < b.since or (a.since == b.since and a.peer < b.peer) end)
  return list
end

-- a knock is over: the members are told how, an admitted id may enter the
-- locked room, the knocker's node is told (not when it withdrew)
local function end_knock(r, peer, rec, outcome, by, why)
  local inst, conn, since, th = parse_record(rec)
  redis.call('HDEL', knocks_key(r), peer)
  redis.call('ZREM', PRESENCE, presence_entry('k', r, peer, inst, conn))
  local ke = {type = 'knock-end', id = peer, outcome = outcome}
  if by then ke.by = by end
  tell_room(r, nil, frame(ke))
  if outcome == 'admitted' then allow_back(r, peer, th) end
  if outcome ~= 'withdrawn' then
    local m = {t = 'knock-ended', r = r, c = tonumber(conn), outcome = outcome}
    if by then m.by = by end
    if why then m.why = why end
    tell_node(inst, m)
  end
  table.insert(ENDED, {r, peer, outcome, tostring(now_ms() - tonumber(since)), by or ''})
end

-- the last member left: knocks end, the room goes
local function end_room(r)
  for _, k in ipairs(knocks_oldest_first(r)) do end_knock(r, k.peer, k.rec, 'timeout', nil, ${JSON.stringify(NOBODY_LEFT_TO_ANSWER)}) end
  redis.call('DEL', members_key(r), state_key(r), returning_key(r), knocks_key(r))
  redis.call('SREM', ROOMS, r)
end

-- take member 'peer' (its record rec) out of room r and tell the others why, then whether the room's
-- media path changed with its size; one that did not leave on purpose may come back into its locked room.
-- Returns the room's size and its new path ('' when unchanged)
local function remove_member(r, peer, rec, reason, on_purpose)
  local inst, conn, seq, th = parse_record(rec)
  redis.call('HDEL', members_key(r), peer)
  redis.call('ZREM', PRESENCE, presence_entry('m', r, peer, inst, conn))
  if not on_purpose then allow_back(r, peer, th) end
  local size = redis.call('HLEN', members_key(r))
  local switched = ''
  if size == 0 then
    end_room(r)
  else
    tell_room(r, nil, frame({type = 'peer-left', id = peer, reason = reason}))
    switched = update_mode(r, nil)
  end
  return size, switched
end
`;

/**
 * join: ARGV P R peer instance conn tokenHash hello maxPeers maxRooms ttlMs janus publishers sfuThreshold
 * meshThreshold wantsSfu hasRelock relockIds… (janus '' where the node coordinates no SFU)
 * → {'refused', code} | {'joined', resumed, relocked, locked, size, {{id, hello, seq}…}, {{id, hello}…}, route, switched}
 * (RoomManager.join; a resumed place keeps its seq, so the peer order stays; route: the room's SfuRoute
 * as JSON, '' for the mesh; switched: 'sfu' | 'mesh' when this join moved the room, else '').
 */
const JOIN = `
local R, peer, inst, conn, th, hello = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local max_peers, max_rooms, ttl = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local janus, publishers, sfu_t, mesh_t, wants_sfu = ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[15] == '1'
local has_relock = ARGV[16] == '1'
local relock = {}
for i = 17, #ARGV do table.insert(relock, ARGV[i]) end
local switched = ''
local mk = members_key(R)
local now = now_ms()
local existing = redis.call('HGET', mk, peer)
local resumed, relocked = 0, 0
if existing then
  local oinst, oconn, oseq, oth = parse_record(existing)
  if oth ~= th then return {'refused', 'peer-id-taken'} end
  -- the same client coming back (through this node or another) before its old connection was noticed gone
  redis.call('HSET', mk, peer, record(inst, conn, oseq, th, hello))
  redis.call('ZREM', PRESENCE, presence_entry('m', R, peer, oinst, oconn))
  redis.call('ZADD', PRESENCE, now + ttl, presence_entry('m', R, peer, inst, conn))
  if oinst ~= inst or oconn ~= conn then tell_node(oinst, {t = 'replaced', r = R, c = tonumber(oconn)}) end
  resumed = 1
else
  local exists = redis.call('EXISTS', mk) == 1
  local relocks = has_relock and not (exists and is_locked(R))
  if relocks then
    for _, id in ipairs(relock) do
      if redis.call('HEXISTS', mk, id) == 1 then relocks = false break end
    end
  end
  if exists then
    if not relocks and not admits(R, peer, th) then return {'refused', 'room-locked'} end
    if redis.call('HLEN', mk) >= max_peers then return {'refused', 'room-full'} end
  else
    if redis.call('SCARD', ROOMS) >= max_rooms then return {'refused', 'too-many-rooms'} end
    redis.call('SADD', ROOMS, R)
    -- The first member may pin the room to the SFU; after that its size decides (media-mode.ts).
    if janus ~= '' then
      local pin = wants_sfu and '1' or '0'
      redis.call('HSET', state_key(R), 'janus', janus, 'publishers', publishers, 'sfu_t', sfu_t, 'mesh_t', mesh_t, 'pinned', pin, 'via', pin)
    end
  end
  local seq = redis.call('HINCRBY', state_key(R), 'seq', 1)
  redis.call('HSET', mk, peer, record(inst, conn, tostring(seq), th, hello))
  redis.call('HDEL', returning_key(R), peer)
  redis.call('ZADD', PRESENCE, now + ttl, presence_entry('m', R, peer, inst, conn))
  if relocks then
    redis.call('HSET', state_key(R), 'locked', '1')
    relocked = 1
  end
  if has_relock and is_locked(R) then
    for _, id in ipairs(relock) do allow_back(R, id, '*') end
  end
  -- The members hear of a switch before the newcomer's arrival, so they never build a link to it
  -- that the new mode would close at once; the newcomer learns the mode from its 'joined'.
  switched = update_mode(R, peer)
  local pj = {type = 'peer-joined', id = peer}
  if hello ~= '' then pj.hello = hello end
  tell_room(R, peer, frame(pj))
  if relocks then tell_room(R, peer, frame({type = 'lock', by = peer})) end
end
local peers = {}
local all = redis.call('HGETALL', mk)
for i = 1, #all, 2 do
  if all[i] ~= peer then
    local _, _, seq, _, h = parse_record(all[i + 1])
    if seq then table.insert(peers, {all[i], h or '', seq}) end
  end
end
local knocks = {}
for _, k in ipairs(knocks_oldest_first(R)) do table.insert(knocks, {k.peer, k.hello}) end
local route = sfu_route(R)
return {'joined', resumed, relocked, is_locked(R) and 1 or 0, redis.call('HLEN', mk), peers, knocks, route and cjson.encode(route) or '', switched}
`;

/** leave: ARGV P R peer instance conn reason onPurpose → {left, size, ended, switched} */
const LEAVE = `
local R, peer, inst, conn, reason, on_purpose = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7] == '1'
local rec = holds(R, peer, inst, conn)
if not rec then return {0, redis.call('HLEN', members_key(R)), ENDED, ''} end
local size, switched = remove_member(R, peer, rec, reason, on_purpose)
return {1, size, ENDED, switched}
`;

/**
 * relay: ARGV P instance, then R from conn to payload for each signal of a batch (the signals one node relays in
 * one turn of its loop) → one character per signal, in order: '1' relayed, '0' no such peer (or the sender lost
 * its place). Each node that holds a recipient gets one channel message with its signals, in the batch's order.
 */
const RELAY = `
local inst = ARGV[2]
local out, by_node, order = {}, {}, {}
for i = 3, #ARGV - 4, 5 do
  local R, from, conn, to = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local ok = '0'
  if to ~= from and holds(R, from, inst, conn) then
    local target = redis.call('HGET', members_key(R), to)
    local ti, tc
    if target then ti, tc = parse_record(target) end
    if ti then
      local list = by_node[ti]
      if not list then
        list = {}
        by_node[ti] = list
        table.insert(order, ti)
      end
      table.insert(list, {R, tonumber(tc), from, ARGV[i + 4]})
      ok = '1'
    end
  end
  out[#out + 1] = ok
end
for _, ti in ipairs(order) do tell_node(ti, {t = 'signals', s = by_node[ti]}) end
return table.concat(out)
`;

/** lock: ARGV P R peer instance conn locked('1'|'0') → {done, ended}; unlocking lets every knock in (oldest first). */
const LOCK = `
local R, peer, inst, conn, lock = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6] == '1'
if not holds(R, peer, inst, conn) then return {0, ENDED} end
redis.call('HSET', state_key(R), 'locked', lock and '1' or '0')
if not lock then redis.call('DEL', returning_key(R)) end
tell_room(R, nil, frame({type = lock and 'lock' or 'unlock', by = peer}))
if not lock then
  for _, k in ipairs(knocks_oldest_first(R)) do end_knock(R, k.peer, k.rec, 'admitted', peer, nil) end
end
return {1, ENDED}
`;

/** knock: ARGV P R peer instance conn tokenHash hello maxKnocks ttlMs → {'retry'} | {'refused', reason} | {'knocking', pending} */
const KNOCK = `
local R, peer, inst, conn, th, hello = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local max_knocks, ttl = tonumber(ARGV[8]), tonumber(ARGV[9])
if redis.call('EXISTS', members_key(R)) == 0 or not is_locked(R) or admits(R, peer, th) then return {'retry'} end
local kk = knocks_key(R)
if redis.call('HEXISTS', kk, peer) == 1 then return {'refused', 'id-knocking'} end
if redis.call('HLEN', kk) >= max_knocks then return {'refused', 'too-many-knocks'} end
local now = now_ms()
redis.call('HSET', kk, peer, record(inst, conn, tostring(now), th, hello))
redis.call('ZADD', PRESENCE, now + ttl, presence_entry('k', R, peer, inst, conn))
local kn = {type = 'knock', id = peer}
if hello ~= '' then kn.hello = hello end
tell_room(R, nil, frame(kn))
return {'knocking', redis.call('HLEN', kk)}
`;

/** answer: ARGV P R member instance conn knocker admit('1'|'0') → {done, ended}: the first answer decides. */
const ANSWER = `
local R, member, inst, conn, knocker, admit = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7] == '1'
if not holds(R, member, inst, conn) then return {0, ENDED} end
local rec = redis.call('HGET', knocks_key(R), knocker)
if not rec then return {0, ENDED} end
end_knock(R, knocker, rec, admit and 'admitted' or 'denied', member, nil)
return {1, ENDED}
`;

/** end-knock: ARGV P R peer instance conn outcome('timeout'|'withdrawn') → {done, ended}: this node's own knock, if still pending. */
const END_KNOCK = `
local R, peer, inst, conn, outcome = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local rec = redis.call('HGET', knocks_key(R), peer)
if not rec then return {0, ENDED} end
local i2, c2 = parse_record(rec)
if i2 ~= inst or c2 ~= conn then return {0, ENDED} end
end_knock(R, peer, rec, outcome, nil, nil)
return {1, ENDED}
`;

/** refresh: ARGV P ttlMs entries… → the entries that are gone (their place was lost or taken over). */
const REFRESH = `
local deadline = now_ms() + tonumber(ARGV[2])
local gone = {}
for i = 3, #ARGV do
  if redis.call('ZADD', PRESENCE, 'XX', 'CH', deadline, ARGV[i]) == 0 and not redis.call('ZSCORE', PRESENCE, ARGV[i]) then
    table.insert(gone, ARGV[i])
  end
end
return gone
`;

/**
 * reap: ARGV P limit → {{{kind, room, peer, instance}…}, ended}: members and
 * knocks whose node stopped refreshing them (it died, or lost Redis) leave
 * as 'timeout' and 'withdrawn'.
 */
const REAP = `
local due = redis.call('ZRANGEBYSCORE', PRESENCE, '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[2]))
local reaped = {}
for _, e in ipairs(due) do
  redis.call('ZREM', PRESENCE, e)
  local kind, r, peer, inst, conn = string.match(e, '^(%a) (%S+) (%S+) (%S+) (%d+)$')
  if kind == 'm' then
    local rec = holds(r, peer, inst, conn)
    if rec then
      remove_member(r, peer, rec, 'timeout', false)
      table.insert(reaped, {'m', r, peer, inst})
    end
  elseif kind == 'k' then
    local rec = redis.call('HGET', knocks_key(r), peer)
    if rec then
      local i2, c2 = parse_record(rec)
      if i2 == inst and c2 == conn then
        end_knock(r, peer, rec, 'withdrawn', nil, nil)
        table.insert(reaped, {'k', r, peer, inst})
      end
    end
  end
end
return {reaped, ENDED}
`;

export const LUA_SCRIPTS = {
  join: PRELUDE + JOIN,
  leave: PRELUDE + LEAVE,
  relay: PRELUDE + RELAY,
  lock: PRELUDE + LOCK,
  knock: PRELUDE + KNOCK,
  answer: PRELUDE + ANSWER,
  endKnock: PRELUDE + END_KNOCK,
  refresh: PRELUDE + REFRESH,
  reap: PRELUDE + REAP,
} as const;

export type ScriptName = keyof typeof LUA_SCRIPTS;

/** A presence entry as the scripts write it: kind ('m' member, 'k' knock), room, peer, node instance, connection. */
export function presenceEntry(kind: 'm' | 'k', roomId: string, peerId: string, instance: string, connId: number): string {
  return `${kind} ${roomId} ${peerId} ${instance} ${connId}`;
}
