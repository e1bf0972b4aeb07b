from localsearch.cli import main

raise SystemExit(main())
