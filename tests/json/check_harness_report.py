#!/usr/bin/env python3
"""Validate a `qspn-harness run --json FILE` report against
docs/json-schema/harness-report.json, and its consistency:

* the totals equal the counts of the steps (statuses, pings), ok <= total;
* exit_status agrees with failed/skipped/interrupted;
* with --text OUT (the run's standard output): the steps are the report lines of
  the text, in order, with the same status, and the totals are those of its
  last lines ("pings: X/Y ok", "quiescent checkpoints: X/Y ...", "N passed, N failed").

usage: check_harness_report.py [--invalid] SCHEMA REPORT [--text OUT]
The schema is checked first (Draft 2020-12); exit 1 with the JSON path of the
first error.  With --invalid the report must be rejected (by the schema or by a
consistency rule; the schema is not a formality): exit 0 printing why, 1 when it
is accepted.  The validator is python3-jsonschema, independent of the harness.
"""
import json
import re
import sys

from jsonschema import Draft202012Validator

LINE = re.compile(r"^(\S+) (\S+) \.+ (ok|FAILED|SKIPPED)\b")
STATUS = {"ok": "passed", "FAILED": "failed", "SKIPPED": "skipped"}


def consistency(doc):
    errs = []
    steps, t = doc["steps"], doc["totals"]
    if t["steps"] != len(steps):
        errs.append(f"totals.steps {t['steps']} != {len(steps)} steps")
    n = {s: sum(1 for x in steps if x["status"] == s) for s in ("passed", "failed", "skipped")}
    if t["passed"] != n["passed"] or t["skipped"] != n["skipped"] or t["failed"] not in (n["failed"], n["failed"] + 1):
        errs.append(f"totals {t['passed']}/{t['failed']}/{t['skipped']} != step statuses {n}")
    for x in steps:
        if x["pings"]["ok"] > x["pings"]["total"]:
            errs.append(f"step {x['id']}: pings ok > total")
    for key in ("ok", "total"):
        s = sum(x["pings"][key] for x in steps)
        if s != t["pings"][key]:
            errs.append(f"totals.pings.{key} {t['pings'][key]} != sum over steps {s}")
    q = t["quiescent_checkpoints"]
    if q["ok"] > q["total"]:
        errs.append("quiescent_checkpoints ok > total")
    want = 130 if doc["interrupted"] or doc["watchdog"] else 1 if t["failed"] else 77 if t["skipped"] else 0
    if doc["exit_status"] != want and not (doc["watchdog"] and doc["exit_status"] == 130):
        errs.append(f"exit_status {doc['exit_status']}, the totals say {want}")
    return errs


def against_text(doc, text):
    errs = []
    lines = [m.groups() for m in map(LINE.match, text.splitlines()) if m]
    got = [(x["id"], x["slug"], x["status"]) for x in doc["steps"]]
    want = [(i, s, STATUS[st]) for i, s, st in lines]
    if got != want:
        errs.append(f"steps {got} != report lines {want}")
    t = doc["totals"]
    m = re.search(r"^pings: (\d+)/(\d+) ok$", text, re.M)
    if not m or (int(m[1]), int(m[2])) != (t["pings"]["ok"], t["pings"]["total"]):
        errs.append(f"pings line {m and m[0]} != totals {t['pings']}")
    m = re.search(r"^quiescent checkpoints: (\d+)/(\d+) ", text, re.M)
    q = t["quiescent_checkpoints"]
    if (m and (int(m[1]), int(m[2])) != (q["ok"], q["total"])) or (not m and q["total"]):
        errs.append(f"quiescent line {m and m[0]} != totals {q}")
    m = re.search(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", text, re.M)
    if not m or (int(m[1]), int(m[2]), int(m[3] or 0)) != (t["passed"], t["failed"], t["skipped"]):
        errs.append(f"totals line {m and m[0]} != totals {t['passed']}/{t['failed']}/{t['skipped']}")
    return errs


def problems(schema, doc, text):
    """Why the report is wrong: the first schema error, else every consistency error."""
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        return [f"/{'/'.join(str(x) for x in e.absolute_path)}: {e.message}"]
    return consistency(doc) + (against_text(doc, text) if text is not None else [])


def main(argv):
    invalid = len(argv) > 1 and argv[1] == "--invalid"
    if invalid:
        argv = argv[:1] + argv[2:]
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--text"):
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.load(open(argv[1], encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    doc = json.load(open(argv[2], encoding="utf-8"))
    text = open(argv[4], encoding="utf-8", errors="replace").read() if len(argv) == 5 else None
    errs = problems(schema, doc, text)
    if invalid:
        if not errs:
            print(f"FAIL: {argv[2]} is accepted, it should be rejected")
            return 1
        print(f"rejected as it should be: {argv[2]}: {errs[0]}")
        return 0
    for e in errs:
        print(f"FAIL: {argv[2]}: {e}")
    if errs:
        return 1
    t = doc["totals"]
    print(f"harness report {argv[2]}: valid (schema version {doc['schema_version']}), {t['steps']} steps, "
          f"{t['passed']} passed, {t['failed']} failed, pings {t['pings']['ok']}/{t['pings']['total']}"
          f"{', equal to the text report' if len(argv) == 5 else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
