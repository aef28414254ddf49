"""Each module lists the operations of one part of the platform in `OPERATIONS`."""
