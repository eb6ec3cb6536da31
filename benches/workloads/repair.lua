-- Repair-heavy peer of repair.lxm: goals as predicates with repairs; each
-- cycle runs the first false goal's repair, until every goal holds.
local N = tonumber(arg[1]) or 2000000
local s = { n = 0 }
local goals = {
  { holds = function() return s.n >= N end, repair = function() s.n = s.n + 1 end },
}
local cycles = 0
while true do
  local g
  for i = 1, #goals do
    if not goals[i].holds() then g = goals[i]; break end
  end
  if not g then break end
  g.repair()
  cycles = cycles + 1
end
print("Counter.n = " .. s.n, "cycles " .. cycles)
