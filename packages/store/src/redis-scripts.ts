/*
 * The Lua scripts of RedisStore: each multi-key state change is one script, so
 * Redis runs it atomically. Values travel as strings and are stored untouched
 * (never through Lua's tonumber), which keeps every float64 exact.
 *
 * Return codes shared by the scripts; RedisStore maps them to StoreError codes.
 */
export const ScriptCode = {
  APPLIED: 1,
  ALREADY_APPLIED: 0,
  UNKNOWN_STUDY: -1,
  UNKNOWN_TRIAL: -2,
  TRIAL_FINISHED: -3,
  RUNG_MISMATCH: -4,
  PROMOTION_REFUSED: -5,
} as const;

export interface ScriptDefinition {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

export const createStudyScript: ScriptDefinition = {
  name: "bayestuneCreateStudy",
  numberOfKeys: 2,
  lua: `
--[[
  Creates a study unless one of that name exists.
  KEYS[1] {prefix}:studies        set of study names
  KEYS[2] {prefix}:study:{name}   study hash (config, createdAt)
  ARGV[1] study name
  ARGV[2] config as JSON
  ARGV[3] createdAt, ms since the epoch
  Returns {code, config, createdAt}: code 1 when created, 0 when the study
  existed (config and createdAt are then the stored ones).
]]
if redis.call("EXISTS", KEYS[2]) == 1 then
  local stored = redis.call("HMGET", KEYS[2], "config", "createdAt")
  return {0, stored[1], stored[2]}
end
redis.call("HSET", KEYS[2], "config", ARGV[2], "createdAt", ARGV[3])
redis.call("SADD", KEYS[1], ARGV[1])
return {1, ARGV[2], ARGV[3]}
`,
};

export const createTrialsScript: ScriptDefinition = {
  name: "bayestuneCreateTrials",
  numberOfKeys: 3,
  lua: `
--[[
  Creates the next trials of a study, numbered consecutively by INCRBY (dense and
  unique whatever the number of concurrent callers), and stores the sampler state
  that goes with them in the same atomic step.
  KEYS[1] {prefix}:study:{name}                study hash
  KEYS[2] {prefix}:study:{name}:trial-count    trials created so far
  KEYS[3] {prefix}:study:{name}:sampler-state  the sampler's state after the last ask
  ARGV[1] trial key prefix, {prefix}:study:{name}:trial: (the number is appended)
  ARGV[2] createdAt, ms since the epoch
  ARGV[3] "1" to store ARGV[4] as the sampler state, "0" to leave it
  ARGV[4] the sampler state
  ARGV[5..] per trial: params as JSON, source ("sampler" or "enqueued"), fidelity ("" when none)
  Returns the first new trial's number, or -1 when the study does not exist.
]]
if redis.call("EXISTS", KEYS[1]) == 0 then return -1 end
local count = (#ARGV - 4) / 3
local first = redis.call("INCRBY", KEYS[2], count) - count
for i = 0, count - 1 do
  local key = ARGV[1] .. (first + i)
  local at = 5 + 3 * i
  redis.call("HSET", key, "params", ARGV[at], "state", "running", "rung", "0", "source", ARGV[at + 1],
    "attempts", "0", "createdAt", ARGV[2])
  if ARGV[at + 2] ~= "" then redis.call("HSET", key, "fidelity", ARGV[at + 2]) end
end
if ARGV[3] == "1" then redis.call("SET", KEYS[3], ARGV[4]) end
return first
`,
};

export const recordProgressScript: ScriptDefinition = {
  name: "bayestuneRecordProgress",
  numberOfKeys: 3,
  lua: `
--[[
  Records one intermediate report of a running trial, once per (rung, step).
  KEYS[1] {prefix}:study:{name}                    study hash
  KEYS[2] {prefix}:study:{name}:trial:{n}          trial hash
  KEYS[3] {prefix}:study:{name}:trial:{n}:progress hash "{rung}-{step}" -> report JSON
  ARGV[1] rung
  ARGV[2] field, "{rung}-{step}"
  ARGV[3] the report as JSON ({rung, step, metrics})
  Returns {code, state, rung} (state and rung of the trial as stored): code 1 when
  recorded, 0 when that step was already recorded (checked first: a redelivered
  report is no error), -1 unknown study, -2 unknown trial, -3 trial finished,
  -4 ARGV[1] is not the trial's current rung.
]]
if redis.call("EXISTS", KEYS[1]) == 0 then return {-1, "", ""} end
if redis.call("EXISTS", KEYS[2]) == 0 then return {-2, "", ""} end
local trial = redis.call("HMGET", KEYS[2], "state", "rung")
if redis.call("HEXISTS", KEYS[3], ARGV[2]) == 1 then return {0, trial[1], trial[2]} end
if trial[1] ~= "running" then return {-3, trial[1], trial[2]} end
if trial[2] ~= ARGV[1] then return {-4, trial[1], trial[2]} end
redis.call("HSET", KEYS[3], ARGV[2], ARGV[3])
return {1, trial[1], trial[2]}
`,
};

export const finishTrialScript: ScriptDefinition = {
  name: "bayestuneFinishTrial",
  numberOfKeys: 4,
  lua: `
--[[
  Finishes a trial's rung, once per (trial, rung).
  KEYS[1] {prefix}:study:{name}                  study hash
  KEYS[2] {prefix}:study:{name}:trial:{n}        trial hash
  KEYS[3] {prefix}:study:{name}:done             set of "{trial}-{rung}" already finished
  KEYS[4] {prefix}:study:{name}:trial:{n}:rungs  hash rung -> RungResult JSON without its
          fidelity, and "{rung}:fidelity" -> the fidelity string (copied untouched)
  ARGV[1] "{trial}-{rung}"
  ARGV[2] rung
  ARGV[3] attempts, "" to add one to the stored count
  ARGV[4] the RungResult as JSON without fidelity (a complete rung), "" for a failure
  ARGV[5..] field, value pairs to write: state and finishedAt always, then value,
            metrics, reason, message, checkpoint, worker when given
  Returns {code, state, rung, fidelity} (as stored before the call): code 1
  when applied, 0 when this (trial, rung) was already finished (nothing written),
  -1 unknown study, -2 unknown trial, -3 trial not running (finished, or paused
  at another rung), -4 ARGV[2] is not the trial's current rung.
]]
if redis.call("EXISTS", KEYS[1]) == 0 then return {-1, "", "", ""} end
if redis.call("EXISTS", KEYS[2]) == 0 then return {-2, "", "", ""} end
local trial = redis.call("HMGET", KEYS[2], "state", "rung", "fidelity")
local fidelity = trial[3] or ""
if redis.call("SISMEMBER", KEYS[3], ARGV[1]) == 1 then return {0, trial[1], trial[2], fidelity} end
if trial[1] ~= "running" then return {-3, trial[1], trial[2], fidelity} end
if trial[2] ~= ARGV[2] then return {-4, trial[1], trial[2], fidelity} end
if ARGV[3] == "" then
  redis.call("HINCRBY", KEYS[2], "attempts", 1)
else
  redis.call("HSET", KEYS[2], "attempts", ARGV[3])
end
redis.call("HSET", KEYS[2], unpack(ARGV, 5))
if ARGV[4] ~= "" then
  redis.call("HSET", KEYS[4], ARGV[2], ARGV[4])
  if fidelity ~= "" then redis.call("HSET", KEYS[4], ARGV[2] .. ":fidelity", fidelity) end
end
redis.call("SADD", KEYS[3], ARGV[1])
return {1, trial[1], trial[2], fidelity}
`,
};

export const promoteTrialScript: ScriptDefinition = {
  name: "bayestunePromoteTrial",
  numberOfKeys: 2,
  lua: `
--[[
  Moves a paused trial one rung up, running.
  KEYS[1] {prefix}:study:{name}            study hash
  KEYS[2] {prefix}:study:{name}:trial:{n}  trial hash
  ARGV[1] the rung to run
  ARGV[2] its fidelity, "" when none
  Returns {code, state, rung} (as stored before the call): code 1 when applied,
  0 when the trial is at that rung or beyond already, -1 unknown study,
  -2 unknown trial, -5 refused (not paused, or not one rung up; the caller
  words the error from state and rung).
]]
if redis.call("EXISTS", KEYS[1]) == 0 then return {-1, "", ""} end
if redis.call("EXISTS", KEYS[2]) == 0 then return {-2, "", ""} end
local trial = redis.call("HMGET", KEYS[2], "state", "rung")
-- Rungs are small integers written by this store: tonumber is exact for them.
local rung = tonumber(trial[2])
local target = tonumber(ARGV[1])
if rung >= target then return {0, trial[1], trial[2]} end
if trial[1] ~= "paused" or target ~= rung + 1 then return {-5, trial[1], trial[2]} end
redis.call("HSET", KEYS[2], "state", "running", "rung", ARGV[1])
redis.call("HDEL", KEYS[2], "value", "finishedAt")
if ARGV[2] == "" then
  redis.call("HDEL", KEYS[2], "fidelity")
else
  redis.call("HSET", KEYS[2], "fidelity", ARGV[2])
end
return {1, trial[1], trial[2]}
`,
};

export const allScripts: readonly ScriptDefinition[] = [
  createStudyScript,
  createTrialsScript,
  recordProgressScript,
  finishTrialScript,
  promoteTrialScript,
];
