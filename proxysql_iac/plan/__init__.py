"""Planning: diff desired rows against a node's memory, order changes, render. Pure."""
