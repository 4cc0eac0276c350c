#!/usr/bin/env python3
"""Validate `qspnctl monitor --json` lines against docs/json-schema/monitor-event.json.

usage: check_monitor_events.py [--invalid] SCHEMA [--require TYPE,...] [--run PROGRAM [ARG...] --] [FILE...]
  FILE      JSON Lines (one event per line; '-' = stdin)
  --invalid every line must be REJECTED (exit 0 only when the schema loads and says no
            to each: a crash of the checker never passes)
  --run     validate the standard output of PROGRAM ARG... (e.g. test_daemon_monevent --examples)
  --require every TYPE must occur at least once
The schema is checked first (Draft 2020-12); exit 1 on the first invalid line, with
its file, line number and the JSON path of the error.  The validator is
python3-jsonschema, independent of qspnd's C code.
"""
import json
import pathlib
import subprocess
import sys

from jsonschema import Draft202012Validator


def sources(args):
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--run":
            j = args.index("--", i + 1) if "--" in args[i + 1:] else len(args)
            cmd = args[i + 1:j]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            yield " ".join(cmd), out
            i = j + 1
            continue
        yield a, sys.stdin.read() if a == "-" else pathlib.Path(a).read_text()
        i += 1


def main(argv):
    invalid = len(argv) > 1 and argv[1] == "--invalid"
    if invalid:
        argv = argv[:1] + argv[2:]
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.loads(pathlib.Path(argv[1]).read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    args = argv[2:]
    required = set()
    if args[:1] == ["--require"]:
        required = set(args[1].split(","))
        args = args[2:]
    n, seen = 0, {}
    for name, text in sources(args):
        for lineno, line in enumerate(text.splitlines(), 1):
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"FAIL: {name}:{lineno}: not JSON: {e}: {line[:200]}")
                return 1
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
            if invalid:
                if not errors:
                    print(f"FAIL: {name}:{lineno}: accepted, but it must be rejected: {line[:300]}")
                    return 1
                print(f"rejected as expected: {name}:{lineno}: {errors[0].message[:200]}")
                n += 1
                continue
            if errors:
                e = errors[0]
                path = "/".join(str(x) for x in e.absolute_path)
                print(f"FAIL: {name}:{lineno}: /{path}: {e.message}: {line[:300]}")
                return 1
            seen[doc["type"]] = seen.get(doc["type"], 0) + 1
            n += 1
    if n == 0:
        print("FAIL: no event to validate")
        return 1
    if invalid:
        return 0
    missing = sorted(required - set(seen))
    if missing:
        print(f"FAIL: no event of type {', '.join(missing)} (seen: {seen})")
        return 1
    print(f"monitor --json: {n} events valid ({len(seen)} types: "
          + ", ".join(f"{k} {v}" for k, v in sorted(seen.items())) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
