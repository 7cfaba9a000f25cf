"""The DVC stages (validate, prepare, train, evaluate) and the data pull."""
