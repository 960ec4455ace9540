"""Operations: what driftwatch exposes to the ops stack (Prometheus metrics from the store)."""
