# SPDX-License-Identifier: MIT
"""A bytearray(77_777) allocated 100 Python frames deep (the module's, 98
of dive's, leaf's). Ends with os._exit."""
import os

keep = []


def leaf():
    keep.append(bytearray(77_777))  # @deep_leaf


def dive(depth):
    if depth:
        dive(depth - 1)  # @dive
    else:
        leaf()


dive(97)
os._exit(0)
