#!/usr/bin/env python3
"""oci-bundle.py BUNDLE FN_DIR NETNS CGROUP — writes BUNDLE/config.json for the bench scripts' containers started by
hand: the same essentials as Isola's own bundles (read-only root, user nobody, no capabilities, the function
read-only at /fn, memory and CPU limits, the given network namespace and cgroup path)."""
import json, sys
bundle, fn, ns, cgroup = sys.argv[1:5]
none = []
spec = {
  "ociVersion": "1.0.2",
  "process": {"terminal": False, "user": {"uid": 65534, "gid": 65534}, "args": ["/fn/fn"],
              "env": ["PATH=/usr/bin:/bin", "PORT=8080", "HOST=0.0.0.0", "TMPDIR=/tmp"], "cwd": "/fn",
              "capabilities": {k: none for k in ["bounding", "effective", "permitted", "inheritable", "ambient"]},
              "noNewPrivileges": True},
  "root": {"path": bundle + "/rootfs", "readonly": True},
  "hostname": "fn",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
    {"destination": "/fn", "type": "bind", "source": fn, "options": ["rbind", "ro"]}],
  "linux": {"namespaces": [{"type": t} for t in ["pid", "ipc", "uts", "mount"]]
                          + [{"type": "network", "path": "/var/run/netns/" + ns}],
            "cgroupsPath": cgroup,
            "resources": {"memory": {"limit": 536870912, "swap": 536870912},
                          "cpu": {"quota": 100000, "period": 100000}, "pids": {"limit": 1024}}}}
json.dump(spec, open(bundle + "/config.json", "w"))
