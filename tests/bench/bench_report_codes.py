"""Argon2id cost of a follow-up code check, production vs test parameters, and the hash budget under attack.

Run: .venv/bin/python tests/bench/bench_report_codes.py   (prints; asserts nothing about time)
"""
from __future__ import annotations

import asyncio
import time

from services.reports.codes import ArgonParams, CodeHasher, new_code


async def main() -> None:
    code = new_code()
    for label, params in (("production", ArgonParams()), ("tests", ArgonParams.for_tests()),
                          ("RFC 9106 2nd (64 MiB, t=3)", ArgonParams(3, 65536, 1))):
        hasher = CodeHasher(params, per_minute=1_000_000)
        encoded = await hasher.hash(code)
        started = time.perf_counter()
        for _ in range(5):
            assert await hasher.verify(encoded, code)
        print(f"{label:28s} {params}: {(time.perf_counter() - started) / 5 * 1000:7.1f} ms per verify")
    hasher = CodeHasher(ArgonParams(), per_minute=120)
    encoded = await hasher.hash(code)
    started = time.perf_counter()
    results = await asyncio.gather(*(hasher.verify(encoded, "0" * 20) for _ in range(1000)))
    elapsed = time.perf_counter() - started
    print(f"1000 guesses at once: {hasher.hash_count - 1} hashed, {hasher.refused_by_budget} refused by the budget, "
          f"{elapsed:.1f} s, all refused: {not any(results)}")


if __name__ == "__main__":
    asyncio.run(main())
