from ecan.cli.main import main

raise SystemExit(main())
