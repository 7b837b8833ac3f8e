# SPDX-License-Identifier: MIT
"""A module body's allocation (py_module_body.py) outlives its code
object: the line must still be named. Ends with os._exit."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import py_module_body  # noqa: E402,F401  @import

os._exit(0)
