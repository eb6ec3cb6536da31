-- Peer of storm_set.lxm: messages in a table queue (indices reset after each
-- batch), dispatched through a handler table; the handler adds to a set.
-- `plain` as the second argument leaves the insert out.
local B = tonumber(arg[1]) or 1000
local plain = arg[2] == "plain"
local index = { handled = 0, seen = {} }
local handlers = {
  work = function(x)
    index.handled = index.handled + 1
    if not plain then index.seen[x] = true end
  end,
}
local queue, head, tail = {}, 1, 0
for b = 1, B do
  for i = 0, 999 do
    tail = tail + 1
    queue[tail] = { handler = "work", arg = i % 200 }
  end
  while head <= tail do
    local msg = queue[head]
    queue[head] = nil
    head = head + 1
    handlers[msg.handler](msg.arg)
  end
  head, tail = 1, 0
end
local n = 0
for _ in pairs(index.seen) do n = n + 1 end
print("Index.handled = " .. index.handled, "distinct " .. n)
