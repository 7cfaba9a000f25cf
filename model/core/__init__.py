"""Pure ML library: the data contract, dataset reading, features, metrics, export, artifacts."""
