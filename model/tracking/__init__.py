"""MLflow: run logging, the embedded loopback server and the model registry client."""
