-- The banking experiment in Lua, for LuaJIT and Lua 5.4, written the way a
-- message-passing control plane would be: each transfer is a message (a
-- table naming its handler and carrying its argument) in a table-based queue
-- filled in batches of 1000 by the teller (its indices reset after each
-- batch); a dispatcher runs each message's
-- handler from a table of handlers, then checks every invariant.
-- Same arithmetic and the same final state as examples/banking.lxm.
local N = tonumber(arg[1]) or 100000000
local bank = { alice = 1000, bob = 1000, applied = 0, rejected = 0 }

local handlers = {
  transfer = function(amount)
    if (amount > 0 and amount > bank.alice) or (amount < 0 and -amount > bank.bob) then
      bank.rejected = bank.rejected + 1
    else
      bank.alice = bank.alice - amount
      bank.bob = bank.bob + amount
      bank.applied = bank.applied + 1
    end
  end,
}

local invariants = {
  function() return bank.alice + bank.bob == 2000 end,
  function() return bank.alice >= 0 and bank.bob >= 0 end,
}

local queue, head, tail = {}, 1, 0
local sent = 0
while sent < N do
  for i = 0, 999 do
    tail = tail + 1
    queue[tail] = { handler = "transfer", arg = (i * 7919 + sent) % 301 - 150 }
  end
  sent = sent + 1000
  while head <= tail do
    local msg = queue[head]
    queue[head] = nil
    head = head + 1
    handlers[msg.handler](msg.arg)
    for k = 1, #invariants do
      if not invariants[k]() then error("invariant broken") end
    end
  end
  -- The batch is drained: start the indices again, so the table stays at
  -- 1000 slots (without this it grows to N entries and LuaJIT runs at half
  -- its speed).
  head, tail = 1, 0
end
print(string.format("alice=%d bob=%d applied=%d rejected=%d", bank.alice, bank.bob, bank.applied, bank.rejected))
