#!/usr/bin/env python3
"""oci-bundle.py TEMPLATE BUNDLE NETNS CGROUP [--without-seccomp] — writes BUNDLE/config.json for a container started by hand from
TEMPLATE, a copy of one of Isola's own instances (lib.sh's isola_bundle_config: TEMPLATE/config.json and the
artefact in TEMPLATE/fn). Everything stays as Isola wrote it (process, mounts, limits, seccomp filter) except what
named that instance: the artefact's place, the network namespace (/var/run/netns/NETNS) and the cgroup path. The
root stays the one Isola's instances share (an empty skeleton of mount points in Isola's cache, read-only).
--without-seccomp drops the seccomp filter too: the baseline that prices the filter."""
import json
import os
import sys

template, bundle, ns, cgroup = sys.argv[1:5]
without_seccomp = sys.argv[5:] == ["--without-seccomp"]
if len(sys.argv) > 5 and not without_seccomp:
    sys.exit("usage: oci-bundle.py TEMPLATE BUNDLE NETNS CGROUP [--without-seccomp]")
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
if without_seccomp:
    if "seccomp" not in spec["linux"]:
        sys.exit(f"{template}/config.json: has no seccomp filter to drop")
    del spec["linux"]["seccomp"]
with open(os.path.join(bundle, "config.json"), "w") as f:
    json.dump(spec, f)
