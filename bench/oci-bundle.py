#!/usr/bin/env python3
"""oci-bundle.py TEMPLATE BUNDLE NETNS CGROUP — writes BUNDLE/config.json for a container started by hand from
TEMPLATE, a copy of one of Isola's own instances (lib.sh's isola_bundle_config: TEMPLATE/config.json and the
artefact in TEMPLATE/fn). Everything stays as Isola wrote it (process, mounts, limits, seccomp filter) except what
named that instance: the artefact's place, the network namespace (/var/run/netns/NETNS) and the cgroup path. The
root stays the one Isola's instances share (an empty skeleton of mount points in Isola's cache, read-only)."""
import json
import os
import sys

template, bundle, ns, cgroup = sys.argv[1:5]
with open(os.path.join(template, "config.json")) as f:
    spec = json.load(f)
if not os.path.isdir(spec["root"]["path"]):
    sys.exit(f"{template}/config.json: its root {spec['root']['path']} does not exist")
os.makedirs(bundle, exist_ok=True)
for mount in spec["mounts"]:
    if mount["destination"] == "/fn":
        mount["source"] = os.path.abspath(os.path.join(template, "fn"))
spec["linux"]["cgroupsPath"] = cgroup
namespaces = [n for n in spec["linux"]["namespaces"] if n["type"] == "network"]
if len(namespaces) != 1:
    sys.exit(f"{template}/config.json: expected one network namespace, found {len(namespaces)}")
namespaces[0]["path"] = "/var/run/netns/" + ns
with open(os.path.join(bundle, "config.json"), "w") as f:
    json.dump(spec, f)
