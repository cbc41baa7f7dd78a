"""Reports the Python that runs it, and its pip, as one line of JSON.

The buildpack runs it as `python3 -I -c <this file>`: the first `python3` on PATH, without
PYTHON* variables or the user site. Importing pip only runs pip/__init__.py, which defines
__version__ and imports nothing else of pip.
"""

import json
import os
import platform
import sys

info = {
    "executable": sys.executable,
    "implementation": sys.implementation.name,
    "version": platform.python_version(),
}
try:
    import pip

    info["pip_version"] = pip.__version__
    info["pip_dir"] = os.path.dirname(pip.__file__)
except ImportError:
    pass
print(json.dumps(info))
