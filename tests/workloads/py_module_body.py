# SPDX-License-Identifier: MIT
"""Imported by py_import.py: allocates in its module body, whose code
object is freed once the import is done."""
import time

TABLE = bytearray(654_321)  # @module_body
time.sleep(1)  # the tracer reads the code object while it lives
