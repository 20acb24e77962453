"""The store's rules, apart from where they are stored: what an order costs, how its status may
move and who may move it. Plain Python over the spec: it reads no table and no request."""
