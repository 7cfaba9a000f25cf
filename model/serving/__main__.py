"""`python -m model.serving`."""

from model.serving.run import main

raise SystemExit(main())
