import sys

from ivs_async.testing._cli import main

sys.exit(main())
