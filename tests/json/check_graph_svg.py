#!/usr/bin/env python3
"""Check an SVG of `qspnctl graph --svg` (graphviz's dot output).

usage: check_graph_svg.py SVG [--cluster NAME]... [--node NAME]... [--edge A->B]...
                              [--red A->B]... [--not-red A->B]... [--text TEXT]...
The file must parse as XML (xml.etree); every named cluster, node and edge must
be drawn (graphviz writes each one's name as the <title> of its group), --red
edges in the best-path colour #cc0000, --not-red ones in another, and every
--text must be part of a line of some node or edge label.  Exit 0 when all hold.
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
RED = "#cc0000"


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = ET.parse(argv[1]).getroot()
    groups = {"cluster": {}, "node": {}, "edge": {}}
    texts = set()
    for g in root.iter(NS + "g"):
        kind = g.get("class")
        title = g.find(NS + "title")
        if kind in groups and title is not None:
            groups[kind][title.text] = g
    for t in root.iter(NS + "text"):
        texts.add(t.text or "")
    want = {"--cluster": [], "--node": [], "--edge": [], "--red": [], "--not-red": [], "--text": []}
    args = argv[2:]
    for i in range(0, len(args) - 1, 2):
        want[args[i]].append(args[i + 1])
    fails = []
    for kind, opt in (("cluster", "--cluster"), ("node", "--node"), ("edge", "--edge")):
        for name in want[opt]:
            if name not in groups[kind]:
                fails.append(f"no {kind} {name} (have {sorted(groups[kind])})")
    for name in want["--red"] + want["--not-red"]:
        g = groups["edge"].get(name)
        if g is None:
            fails.append(f"no edge {name}")
            continue
        strokes = {p.get("stroke") for p in g.iter(NS + "path")}
        if (RED in strokes) != (name in want["--red"]):
            fails.append(f"edge {name}: stroke {strokes}")
    for t in want["--text"]:
        if not any(t in x for x in texts):
            fails.append(f"no text '{t}'")
    for f in fails:
        print("FAIL:", f)
    if not fails:
        n = {k: len(v) for k, v in groups.items()}
        print(f"{argv[1]}: XML ok, {n['cluster']} clusters, {n['node']} nodes, {n['edge']} edges as expected")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
