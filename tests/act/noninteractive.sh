# Sourced by every non-interactive bash under act (BASH_ENV): GitHub runs steps with no
# terminal on stdin, act gives them a pseudo-terminal where prompts wait forever.
exec </dev/null
