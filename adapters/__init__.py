"""Chat platforms: translate platform events into neutral messages and neutral replies into their formats."""
