"""The linkage engine is framework-free: importing and running it never loads Django."""

from __future__ import annotations

import subprocess
import sys


def test_the_linkage_package_never_imports_django():
    code = (
        "import sys, pandas as pd\n"
        "import testigo.linkage as linkage\n"
        "from testigo.linkage import synthetic, comparisons, clustering, filemode\n"
        "frame = pd.DataFrame({'record_id': ['a', 'b'], 'given_names': ['Ana', 'Ana'],"
        " 'family_names': ['Pérez', 'Pérez']})\n"
        "linkage.validate_records(frame)\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
