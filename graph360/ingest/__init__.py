"""Getting data in: bundles, row rules, identity resolution, mappings, the load, live events."""
