"""Production monitoring: drift between the training data and sampled traffic."""
