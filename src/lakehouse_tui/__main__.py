from lakehouse_tui.cli import main

raise SystemExit(main())
