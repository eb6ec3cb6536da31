-- Peer of map_fill.lxm: the same repair loop, one entry per cycle.
local N = tonumber(arg[1]) or 1000000
local s = { n = 0, m = {} }
local goals = {
  { holds = function() return s.n >= N end,
    repair = function() s.m[s.n] = s.n * 3; s.n = s.n + 1 end },
}
while true do
  local g
  for i = 1, #goals do
    if not goals[i].holds() then g = goals[i]; break end
  end
  if not g then break end
  g.repair()
end
print("Table.n = " .. s.n)
