#!/usr/bin/env python3
"""Validate `qspnd show --json` documents against docs/json-schema/show.json.

usage: check_show_schema.py SCHEMA FILE_OR_DIR...   (a directory: every *.json below it)
       check_show_schema.py SCHEMA -                (one document on stdin)
The schema is checked first (Draft 2020-12); exit 1 on the first invalid document,
with the JSON path of the error.  The validator is python3-jsonschema, an
implementation independent of qspnd's json-glib code.
"""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator


def documents(args):
    for a in args:
        if a == "-":
            yield "<stdin>", sys.stdin.read()
            continue
        p = pathlib.Path(a)
        files = sorted(p.rglob("*.json")) if p.is_dir() else [p]
        for f in files:
            yield str(f), f.read_text()


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.loads(pathlib.Path(argv[1]).read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    n = 0
    for name, text in documents(argv[2:]):
        errors = sorted(validator.iter_errors(json.loads(text)), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            path = "/".join(str(x) for x in e.absolute_path)
            print(f"FAIL: {name}: /{path}: {e.message}")
            return 1
        n += 1
    if n == 0:
        print("FAIL: no document to validate")
        return 1
    print(f"show --json: {n} documents valid against schema version {schema['properties']['schema_version']['const']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
