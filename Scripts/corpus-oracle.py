#!/usr/bin/env python3
"""Fix a copy of a corpus with kubeharden and judge it with ../shared/tools/oracle.py.

Usage: Scripts/corpus-oracle.py [--corpus DIR] [--binary PATH] [--work DIR] [--unsafe-fixes]
Prints per-check figures and the files that fail; exit 1 if any check fails.
Needs the oracle venv: bash ../shared/tools/setup-oracle.sh
"""
import argparse, json, os, pathlib, shutil, subprocess, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path(os.environ.get("KUBEHARDEN_SHARED", ROOT.parent / "shared"))
ORACLE = SHARED / "tools" / "oracle.py"
# The checks issue 3 names. --extra-checks adds CKV_K8S_31/37/28 (seccomp-profile, drop-capabilities);
# checkov 3.3.30 fails CKV_K8S_31 on ReplicationControllers whatever the pod's seccompProfile and
# does not accept Localhost profiles, which the Pod Security Standards allow.
CHECKS = "CKV_K8S_16,CKV_K8S_20,CKV_K8S_22,CKV_K8S_23,CKV_K8S_40,CKV_K8S_10,CKV_K8S_11,CKV_K8S_12,CKV_K8S_13"
EXTRA_CHECKS = "CKV_K8S_31,CKV_K8S_37,CKV_K8S_28"

def oracle(*args):
    p = subprocess.run([sys.executable, str(ORACLE), *args], capture_output=True, text=True)
    try:
        return p.returncode, json.loads(p.stdout)
    except json.JSONDecodeError:
        return p.returncode, {"raw": p.stdout[-2000:], "stderr": p.stderr[-2000:]}

CHECK_TO_PASS = {
    "CKV_K8S_16": "no-privileged", "CKV_K8S_20": "no-privilege-escalation", "CKV_K8S_22": "read-only-root-filesystem",
    "CKV_K8S_23": "run-as-non-root", "CKV_K8S_40": "run-as-non-root", "CKV_K8S_10": "resource-limits",
    "CKV_K8S_11": "resource-limits", "CKV_K8S_12": "resource-limits", "CKV_K8S_13": "resource-limits",
    "CKV_K8S_31": "seccomp-profile", "CKV_K8S_37": "drop-capabilities", "CKV_K8S_28": "drop-capabilities",
}
CORE_GROUPS = {"v1", "apps", "batch", "extensions"}
RESOURCE_CHECKS = {"CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"}

def explain_checkov(binary, work, res, flags):
    """Every failing check of a fixed workload must be explained by a finding kubeharden reports
    inside that resource's lines (exempted, manual, an unsafe fix not applied, or the
    privileged-workload finding that stops every privilege and identity fix), or by a kind
    kubeharden leaves alone."""
    check = subprocess.run([binary, "check", "--format", "json", *flags, str(work)], capture_output=True, text=True)
    report = json.loads(check.stdout)
    findings = {}
    for f in report["files"]:
        findings[str(pathlib.Path(f["path"]).resolve())] = f["findings"]
    explained = {"by finding": 0, "custom kind": 0}
    unexplained = []
    for path, entry in (res.get("files") or {}).items():
        text = pathlib.Path(path).read_text(errors="replace")
        for name, r in (entry.get("resources") or {}).items():
            for check_id in r.get("failed", []):
                lo, hi = r.get("lines", [0, 10**9])
                fs = findings.get(str(pathlib.Path(path).resolve()), [])
                hit = [x for x in fs if lo <= x["start"]["line"] <= hi
                       and (x["passId"] == "privileged-workload" and check_id not in RESOURCE_CHECKS
                            or x["passId"] == CHECK_TO_PASS.get(check_id)
                            and (x["applicability"] in ("manual", "unsafe", None)))]
                if hit:
                    explained["by finding"] += 1
                    continue
                lines = text.splitlines()[max(0, lo - 1):hi]
                api = next((l.split(":", 1)[1].strip() for l in lines if l.startswith("apiVersion:")), "")
                group = api.split("/")[0] if "/" in api else "v1"
                if group not in CORE_GROUPS or any("$patch" in l for l in lines):
                    explained["custom kind"] += 1
                    continue
                unexplained.append(f"{path}:{name}:{check_id}")
    print(f"checkov failures explained: {explained}; unexplained: {len(unexplained)}")
    return unexplained

def profile_empty_dir(d):
    """An emptyDir volume or its mount that read-only-root-filesystem adds where the image's
    profile says it writes (Data/image-profiles.yaml): named kubeharden-*, an emptyDir, nothing else.
    The oracle's allow-list knows only /tmp."""
    if d.get("op") != "add":
        return False
    items = d.get("after") if isinstance(d.get("after"), list) else [d.get("after")]
    def ours(v):
        return isinstance(v, dict) and str(v.get("name", "")).startswith("kubeharden-") and (
            set(v) == {"name", "emptyDir"} and v["emptyDir"] == {} or set(v) == {"name", "mountPath"})
    return d.get("path", "").rsplit("/", 2)[-1 if isinstance(d.get("after"), list) else -2] in ("volumes", "volumeMounts") \
        and all(ours(v) for v in items)

def capability_removal(d):
    """An item of securityContext.capabilities.add removed: the unsafe fix of added-capabilities
    and drop-capabilities (applied with --unsafe-fixes only). The oracle allows no removal under
    securityContext."""
    parts = d.get("path", "").split("/")
    return d.get("op") == "remove" and len(parts) >= 4 and parts[-4:-1] == ["securityContext", "capabilities", "add"] \
        and parts[-1].isdigit()

def added_limit_range(change, src):
    """A document namespace-limit-range adds: `v1/LimitRange/<namespace>/default-limits` after a
    Namespace of the same file (the oracle aligns the other documents around it)."""
    if change.get("op") != "document_added":
        return False
    parts = str(change.get("identity", "")).split("/")
    if len(parts) != 4 or parts[:2] != ["v1", "LimitRange"] or parts[3] != "default-limits":
        return False
    try:
        import yaml
        docs = list(yaml.safe_load_all(src.read_text()))
    except Exception:
        return False
    def namespaces(d):
        if not isinstance(d, dict):
            return
        if d.get("kind") == "Namespace" and d.get("apiVersion") == "v1":
            yield (d.get("metadata") or {}).get("name")
        if str(d.get("kind", "")).endswith("List"):
            for item in d.get("items") or []:
                yield from namespaces(item)
    return any(parts[2] in namespaces(d) for d in docs)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(SHARED / "corpus" / "dev"))
    ap.add_argument("--binary", default=str(ROOT / ".build" / "release" / "kubeharden"))
    ap.add_argument("--work", default="/tmp/kubeharden-oracle")
    ap.add_argument("--skip-checkov", action="store_true")
    ap.add_argument("--extra-checks", action="store_true")
    ap.add_argument("--unsafe-fixes", action="store_true", help="fix with --unsafe-fixes")
    a = ap.parse_args()
    flags = ["--unsafe-fixes"] if a.unsafe_fixes else []
    corpus = pathlib.Path(a.corpus)
    work = pathlib.Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(corpus, work)
    for p in work.rglob("*"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    fix = subprocess.run([a.binary, "fix", "-q", *flags, str(work)], capture_output=True, text=True)
    print(f"fix exit {fix.returncode}; errors reported: {fix.stderr.count(': error: ')}")
    files = sorted(p for p in corpus.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    changed = semantic_bad = preserve_bad = profile_dirs = removals = limit_ranges = 0
    failures = []
    for src in files:
        out = work / src.relative_to(corpus)
        if src.read_bytes() == out.read_bytes():
            continue
        changed += 1
        rc, res = oracle("semantic", str(src), str(out), "--allowed")
        if rc != 0:
            rest = [d for d in res.get("differences", [{}]) if not d.get("allowed") and not profile_empty_dir(d)]
            removed = [d for d in rest if a.unsafe_fixes and capability_removal(d)]
            rest = [d for d in rest if d not in removed]
            added = [c for c in res.get("document_changes", []) if added_limit_range(c, src)]
            limit_ranges += len(added)
            rest += [c for c in res.get("document_changes", []) if c not in added]
            if rest:
                semantic_bad += 1
                failures.append(("semantic", str(src.relative_to(corpus)), rest))
            elif removed:
                removals += 1
            elif any(profile_empty_dir(d) for d in res.get("differences", [])):
                profile_dirs += 1
        rc, res = oracle("preserve", str(src), str(out))
        if rc != 0:
            preserve_bad += 1
            failures.append(("preserve", str(src.relative_to(corpus)), res.get("comments", res)))
    print(f"files: {len(files)}, changed: {changed}, semantic --allowed failures: {semantic_bad}, preserve failures: {preserve_bad}")
    print(f"semantic: {profile_dirs} files differ from the oracle's allow-list only by emptyDirs at paths their image's profile writes "
          "(the oracle allows /tmp only)")
    if a.unsafe_fixes:
        print(f"semantic: {removals} files differ from the oracle's allow-list only by removed capabilities.add items "
              "(the unsafe removal of added capabilities; the oracle allows no removal under securityContext)")
    print(f"semantic: {limit_ranges} LimitRange documents added by namespace-limit-range after a Namespace of their file "
          "(validate below checks them)")
    # validate: every problem of the output must already be a problem of the input.
    def problems(paths, root):
        rc, res = oracle("validate", *paths)
        found = set()
        for path, entry in (res.get("files") or {}).items():
            rel = str(pathlib.Path(path).relative_to(root))
            for doc in entry.get("documents", []):
                if doc.get("schema") not in ("passed", "no_schema"):
                    found.add((rel, doc.get("doc"), json.dumps(doc.get("errors") or doc.get("error"), sort_keys=True, default=str)))
                for violation in doc.get("resource_violations") or []:
                    found.add((rel, doc.get("doc"), json.dumps(violation, sort_keys=True, default=str)))
        return found
    before = problems([str(f) for f in files], corpus)
    after = problems([str(work / f.relative_to(corpus)) for f in files], work)
    new_problems = sorted(after - before)
    print(f"validate: {len(before)} problems in the input, {len(after)} in the output, {len(new_problems)} new")
    for item in new_problems:
        failures.append(("validate", item[0], item[2]))
    if not a.skip_checkov:
        rc, res = oracle("checkov", str(work), "--checks", CHECKS + ("," + EXTRA_CHECKS if a.extra_checks else ""))
        summary = {k: v for k, v in res.items() if k not in ("files", "results", "resources")} if isinstance(res, dict) else res
        print("checkov:", json.dumps(summary)[:3000])
        pathlib.Path(work.parent / "kubeharden-checkov.json").write_text(json.dumps(res, indent=1))
        unexplained = explain_checkov(a.binary, work, res, flags)
        if unexplained:
            failures.append(("checkov", "unexplained failures", unexplained))
    for kind, path, detail in failures[:20]:
        print(f"FAIL {kind} {path}: {json.dumps(detail)[:600]}")
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main())
