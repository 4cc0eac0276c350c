#!/usr/bin/env python3
"""Validate qspnd's JSON documents (`show --json`, `show_* --json`) against
their JSON Schema in docs/json-schema/.

usage: check_show_schema.py [--invalid] SCHEMA FILE_OR_DIR...   (a directory: every *.json below it)
       check_show_schema.py [--invalid] SCHEMA -                (one document on stdin)
The schema is checked first (Draft 2020-12); every *.json schema next to it is
loaded too, so that a reference like "show.json#/$defs/mac" resolves.  Exit 1 on
the first invalid document, with the JSON path of the error.  With --invalid
every document must be INVALID (the schema is not a formality): exit 1 on the
first valid one, printing why each is rejected.  The validator is
python3-jsonschema, an implementation independent of qspnd's json-glib code.
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


def validator_for(path):
    """A validator of the schema at path, its siblings resolvable by $id."""
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    siblings = {}
    for f in sorted(path.parent.glob("*.json")):
        s = json.loads(f.read_text())
        if isinstance(s, dict) and "$id" in s:
            siblings[s["$id"]] = s
    try:   # jsonschema >= 4.18: the referencing library
        from referencing import Registry, Resource
        registry = Registry().with_resources(
            (i, Resource.from_contents(s)) for i, s in siblings.items())
        return schema, Draft202012Validator(schema, registry=registry)
    except ImportError:   # older jsonschema (Debian 12: 4.10)
        from jsonschema import RefResolver
        resolver = RefResolver.from_schema(schema, store=siblings)
        return schema, Draft202012Validator(schema, resolver=resolver)


def main(argv):
    invalid = len(argv) > 1 and argv[1] == "--invalid"
    if invalid:
        argv = argv[:1] + argv[2:]
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema, validator = validator_for(pathlib.Path(argv[1]))
    title = schema.get("title", argv[1])
    n = 0
    for name, text in documents(argv[2:]):
        errors = sorted(validator.iter_errors(json.loads(text)), key=lambda e: list(e.absolute_path))
        if errors and not invalid:
            e = errors[0]
            path = "/".join(str(x) for x in e.absolute_path)
            print(f"FAIL: {name}: /{path}: {e.message}")
            return 1
        if invalid and not errors:
            print(f"FAIL: {name} is valid against {title}, it should not be")
            return 1
        if invalid:
            e = errors[0]
            print(f"{name}: rejected as it should: /{'/'.join(str(x) for x in e.absolute_path)}: {e.message}")
        n += 1
    if n == 0:
        print("FAIL: no document to validate")
        return 1
    print(f"{n} documents {'invalid' if invalid else 'valid'} against {title}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
