from statesync.cli import main

raise SystemExit(main())
