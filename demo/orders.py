#!/usr/bin/python3.11
# SPDX-License-Identifier: MIT
"""demo/orders.py CSV: the tracemalloc tutorial's pandas script, for
`make demo`: load the orders, then add a discounted-amount and an
order-year column, a second apart so that each phase has its report."""
import sys
import time

import pandas as pd


def load(path):
    return pd.read_csv(path)


def add_discount(df):
    df["discounted"] = df["amount"] * 0.9


def add_year(df):
    df["year"] = pd.to_datetime(df["date"]).dt.year


def main():
    df = load(sys.argv[1])
    time.sleep(1.2)
    add_discount(df)
    time.sleep(1.2)
    add_year(df)
    time.sleep(1.2)
    print("%d orders, %d columns" % df.shape)


main()
