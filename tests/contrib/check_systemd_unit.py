#!/usr/bin/env python3
"""The systemd unit qspnd@.service as meson generates and installs it
(contrib/systemd/qspnd@.service.in):

* ExecStart runs the qspnd of meson's install prefix (prefix/bindir/qspnd), with
  options that all exist in `qspnd --help` (and no $VARIABLE left to an
  environment file), its configuration file /etc/qspnd/%i.conf and its control
  directory /run/qspnd/%i, under RuntimeDirectory=qspnd;
* CapabilityBoundingSet and AmbientCapabilities are exactly CAP_NET_ADMIN
  CAP_SYS_ADMIN CAP_NET_RAW, the set docs/RELIABILITY.md ("Least privilege",
  Capabilities) documents;
* a usage error (exit 2: a bad configuration file) is not restarted;
* `systemd-analyze verify` (when installed) accepts it without a warning, on a
  copy whose ExecStart names the qspnd just built (verify wants an executable).

usage: check_systemd_unit.py UNIT EXPECTED_QSPND_PATH BUILT_QSPND RELIABILITY_MD
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

WANT_CAPS = {"CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_NET_RAW"}
fails = []


def fail(msg):
    fails.append(msg)
    print(f"FAIL: {msg}")


def parse_unit(text):
    """{section: [(key, value), ...]}; continuation lines joined, comments dropped."""
    sections, cur, pending = {}, None, ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            cur = line[1:-1]
            sections.setdefault(cur, [])
        elif "=" in line and cur is not None:
            k, v = line.split("=", 1)
            sections[cur].append((k.strip(), v.strip()))
        else:
            fail(f"unit: line outside a section or without '=': {raw!r}")
    return sections


def values(sections, section, key):
    return [v for k, v in sections.get(section, []) if k == key]


def documented_caps(reliability):
    text = open(reliability, encoding="utf-8").read()
    m = re.search(r"^## Least privilege.*?(?=^## |\Z)", text, re.M | re.S)
    if not m:
        fail(f"{reliability}: no 'Least privilege' section")
        return set()
    b = re.search(r"\*\*Capabilities\*\*(.*?)(?=^- \*\*|\Z)", m.group(0), re.M | re.S)
    if not b:
        fail(f"{reliability}: no Capabilities item under Least privilege")
        return set()
    return set(re.findall(r"CAP_[A-Z_]+", b.group(1)))


def check_exec(sections, expected_bin, qspnd):
    execs = values(sections, "Service", "ExecStart")
    if len(execs) != 1:
        fail(f"expected one ExecStart, found {len(execs)}")
        return None
    words = shlex.split(execs[0])
    if words[0] != expected_bin:
        fail(f"ExecStart runs {words[0]}, not meson's {expected_bin}")
    if "$" in execs[0]:
        fail(f"ExecStart still expands an environment variable: {execs[0]}")
    helptext = subprocess.run([qspnd, "--help"], capture_output=True, text=True).stdout
    known = set(re.findall(r"^  (?:-[a-z], )?(--[a-z][a-z-]+)", helptext, re.M))
    if len(known) < 15:
        fail(f"qspnd --help: only {len(known)} options found")
    opts = {}
    for i, w in enumerate(words[1:], 1):
        if w.startswith("-"):
            name = w.split("=", 1)[0]
            if name not in known:
                fail(f"ExecStart option {name} is not an option of qspnd --help")
            opts[name] = w.split("=", 1)[1] if "=" in w else (words[i + 1] if i + 1 < len(words) else "")
    if opts.get("--config") != "/etc/qspnd/%i.conf":
        fail(f"ExecStart: --config should be /etc/qspnd/%i.conf, is {opts.get('--config')}")
    if opts.get("--control-dir") != "/run/qspnd/%i":
        fail(f"ExecStart: --control-dir should be /run/qspnd/%i, is {opts.get('--control-dir')}")
    if values(sections, "Service", "RuntimeDirectory") != ["qspnd"]:
        fail("RuntimeDirectory should be qspnd (the parent of the control directories)")
    return execs[0]


def check_caps(sections, reliability):
    doc = documented_caps(reliability)
    if doc != WANT_CAPS:
        fail(f"docs/RELIABILITY.md documents {sorted(doc)}, not {sorted(WANT_CAPS)}")
    for key in ("CapabilityBoundingSet", "AmbientCapabilities"):
        v = values(sections, "Service", key)
        got = set(" ".join(v).split())
        if len(v) != 1 or got != WANT_CAPS:
            fail(f"{key} is {v}, not exactly {' '.join(sorted(WANT_CAPS))}")


def verify(unit_text, expected_bin, qspnd):
    sa = shutil.which("systemd-analyze")
    if not sa:
        print("systemd-analyze not installed: verify not run")
        return False
    with tempfile.TemporaryDirectory(prefix="qspn-unit-") as d:
        path = os.path.join(d, "qspnd@test.service")
        with open(path, "w", encoding="utf-8") as f:
            f.write(unit_text.replace("ExecStart=" + expected_bin, "ExecStart=" + os.path.abspath(qspnd)))
        r = subprocess.run([sa, "verify", "--man=no", path], capture_output=True, text=True)
        out = (r.stdout + r.stderr).strip()
        if r.returncode != 0 or out:
            fail(f"systemd-analyze verify: exit {r.returncode}: {out}")
    return True


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    unit, expected_bin, qspnd, reliability = argv[1:]
    text = open(unit, encoding="utf-8").read()
    if "@" + "QSPND@" in text:
        fail("the unit still contains the @QSPND@ placeholder")
    sections = parse_unit(text)
    for s in ("Unit", "Service", "Install"):
        if s not in sections:
            fail(f"no [{s}] section")
    check_exec(sections, expected_bin, qspnd)
    check_caps(sections, reliability)
    if "2" not in " ".join(values(sections, "Service", "RestartPreventExitStatus")).split():
        fail("RestartPreventExitStatus should contain 2 (usage error: restarting cannot help)")
    verified = verify(text, expected_bin, qspnd)
    if fails:
        return 1
    print(f"systemd unit {unit}: ExecStart {expected_bin} with options of --help, capabilities "
          f"{' '.join(sorted(WANT_CAPS))} as documented{', systemd-analyze verify clean' if verified else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
