"""Pure data shared by the handlers and the stacks: names, schemas, the shape of events."""
