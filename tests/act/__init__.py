"""The act harness: run .github/workflows with nektos/act against scratch repositories."""
