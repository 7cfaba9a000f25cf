"""Credit-scoring model: pipeline, serving and GitOps tooling."""
