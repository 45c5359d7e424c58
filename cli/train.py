"""``clinrag train-reader``: hands its arguments to ``training.run``."""

from __future__ import annotations

import argparse


def cmd_train_reader(args: argparse.Namespace) -> int:
    from training.run import main as train_main

    return train_main(args.rest)
