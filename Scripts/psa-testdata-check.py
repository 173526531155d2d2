#!/usr/bin/env python3
"""Runs `kubeharden check --profile P` over the Pod Security Admission library's test pods and
checks that every `fail` pod gets a Pod Security finding (a finding of a pass with a podSecurity
profile, above note) and no `pass` pod gets one.

Usage: Scripts/psa-testdata-check.py TESTDATA [VERSION] [KUBEHARDEN]
  TESTDATA: kubernetes/pod-security-admission test/testdata (e.g. extracted with
  `git -C <mirror> archive HEAD test/testdata | tar -x`); VERSION defaults to v1.37 (latest).
Exit status 1 on any mismatch."""
import json, os, subprocess, sys

root = sys.argv[1]
version = sys.argv[2] if len(sys.argv) > 2 else "v1.37"
binary = sys.argv[3] if len(sys.argv) > 3 else ".build/debug/kubeharden"
failed = False
for profile in ["baseline", "restricted"]:
    for kind in ["fail", "pass"]:
        folder = os.path.join(root, profile, version, kind)
        files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".yaml"))
        out = subprocess.run([binary, "check", "--profile", profile, "--format", "json"] + files, capture_output=True, text=True).stdout
        wrong = []
        for report in json.loads(out)["files"]:
            pss = [f for f in report["findings"] if f.get("podSecurity") and f["severity"] != "note" and f["status"]["kind"] != "exempted"]
            name = os.path.basename(report["path"])
            if kind == "fail" and not pss:
                wrong.append(name + ": no Pod Security finding")
            if kind == "pass" and pss:
                wrong.append(name + ": " + "; ".join(f["passId"] + ": " + f["message"] for f in pss))
        print(f"{profile} {version} {kind}: {len(files)} pods, {len(wrong)} mismatches")
        for line in wrong:
            print("   " + line)
        failed = failed or bool(wrong)
sys.exit(1 if failed else 0)
