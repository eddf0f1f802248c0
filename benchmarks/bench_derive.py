"""Wall time of a full `symbn derive` (render every artifact in memory), per recipe.

Run: python benchmarks/bench_derive.py
"""
import importlib
import time

from symbn import derive


def main():
    t0 = time.perf_counter()
    rows = []
    for name in derive.RECIPES:
        t = time.perf_counter()
        importlib.import_module(f"symbn.derivations.{name}").build()
        rows.append((name, time.perf_counter() - t))
    total_recipes = time.perf_counter() - t0
    t = time.perf_counter()
    derive.artifacts()
    full = time.perf_counter() - t
    print("| recipe | seconds |\n|---|---|")
    for name, s in rows:
        print(f"| derivations/{name}.py | {s:.2f} |")
    print(f"| all recipes (first run, incl. imports) | {total_recipes:.2f} |")
    print(f"| derive.artifacts() (second run) | {full:.2f} |")


if __name__ == "__main__":
    main()
