import sys

from ci.canary.cli import main

sys.exit(main())
