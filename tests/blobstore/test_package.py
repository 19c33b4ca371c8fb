"""The engine stays framework-free and its errors form the one documented tree."""

from __future__ import annotations

import inspect
import subprocess
import sys

import testigo.blobstore
from testigo.blobstore import errors


def test_the_engine_never_imports_django() -> None:
    code = (
        "import sys\n"
        "import testigo.blobstore, testigo.blobstore.backends.s3\n"
        "leaked = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_every_error_is_drawn_in_the_tree_and_exported() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.BlobStoreError)
    ]
    assert len(classes) >= 10
    for cls in classes:
        assert cls.__name__ in errors.__doc__, cls
        assert getattr(testigo.blobstore, cls.__name__) is cls
        assert cls.__doc__


def test_the_public_surface_is_documented() -> None:
    for name in testigo.blobstore.__all__:
        obj = getattr(testigo.blobstore, name)
        assert inspect.getdoc(obj), name
