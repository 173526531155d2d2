#!/usr/bin/env python3
"""helm-chart-check.py - prove `kubeharden fix CHART_DIR` on real charts by rendering them with Helm.

  check [CHART_DIR...] [--kubeharden BIN] [--unsafe-fixes] [--json]
      For each chart (default: every chart of ../shared/corpus/helm and a `helm create`
      scaffold made fresh with Chart.create), on a copy in a temporary folder:
        1. render (helm-render.py) and lint it before, and `kubeharden check --format json -` the
           rendered stream: fixable / unsafe / manual findings per rendered workload;
        2. `kubeharden fix CHART_COPY`;
        3. files: only the chart's top-level values.yaml may change; every other file
           (templates, Chart.yaml, subcharts, .tgz, ...) stays byte-identical, none is added or
           removed;
        4. comments: every comment of values.yaml is still there (comments found with PyYAML's
           scanner, as oracle.py's `preserve` does; compared as a multiset of their text);
        5. render + lint after: the chart still renders and lints, its values still validate
           against values.schema.json;
        6. leftovers: no fixable finding left on the rendered workloads (each leftover is
           printed), unless `kubeharden check --format json CHART_COPY` reports a manual finding
           of the same pass in a file under templates/ (a value the fix cannot reach);
        7. a second `fix` changes nothing;
        8. semantic diff of the rendered objects before/after (oracle.py `semantic --allowed`'s
           rules): every object kept, every difference a hardening change of a securityContext,
           an added resources value, or an added /tmp emptyDir volume and mount.
      Prints a per-chart table; exit 1 on any violation, 2 when the harness cannot run.
  selftest [--kubeharden BIN]
      Runs the checks above on fresh `helm create` scaffolds with scripted fixers instead of
      `kubeharden fix` and asserts that each check catches the fault made for it: a hand-written
      correct values.yaml fix passes every check; editing a template, dropping a comment, doing
      nothing, changing on every run, changing an unrelated value, breaking the schema and a
      failing fix are each caught by their check. Also checks the document split against
      Helm's. Exit 1 when a check misses its fault. (kubeharden is still used for the findings.)

Needs helm-python-sdk and PyYAML (see helm-render.py) and ../shared/tools/oracle.py
($KUBEHARDEN_SHARED overrides ../shared). kubeharden itself needs neither.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import difflib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def _load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load("helm_render", os.path.join(HERE, "helm-render.py"))


def shared_dir() -> str:
    return os.path.abspath(os.environ.get("KUBEHARDEN_SHARED") or os.path.join(REPO, "..", "shared"))


def load_oracle():
    path = os.path.join(shared_dir(), "tools", "oracle.py")
    if not os.path.exists(path):
        sys.stderr.write("helm-chart-check.py: %s not found (set KUBEHARDEN_SHARED)\n" % path)
        sys.exit(2)
    return _load("oracle", path)


def default_binary() -> str:
    return os.environ.get("KUBEHARDEN_BINARY") or os.path.join(REPO, ".build", "debug", "kubeharden")


# --------------------------------------------------------------------------
# chart snapshots and renders
# --------------------------------------------------------------------------

def snapshot(root: str) -> dict[str, bytes]:
    """Every file under root (relative path -> bytes); symlinks as their target text."""
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root)
            if os.path.islink(path):
                files[relative] = b"symlink:" + os.readlink(path).encode()
            else:
                with open(path, "rb") as handle:
                    files[relative] = handle.read()
    return files


class Render:
    """A chart's rendered stream, its documents and where each starts (1-based line)."""

    def __init__(self, chart: str, oracle):
        self.error = None
        self.documents = []  # [(template path, text)]
        self.stream = ""
        self.starts = []
        self.objects = []
        try:
            self.documents = render.render_documents(chart)
        except Exception as error:  # helm_python's HelmRenderError / HelmValuesError / ...
            self.error = "%s: %s" % (type(error).__name__, error)
            return
        self.stream = render.stream(self.documents)
        line = 1
        for _, text in self.documents:
            self.starts.append(line)
            line += 2 + text.count("\n") + 1
        import yaml
        for _, text in self.documents:
            try:
                self.objects.append(yaml.load(text, Loader=oracle.OracleLoader))
            except yaml.YAMLError as error:
                self.objects.append({"#unparsable": str(error)})

    def workload(self, line: int) -> str:
        index = bisect.bisect_right(self.starts, line) - 1
        if index < 0:
            return "?"
        obj = self.objects[index]
        if isinstance(obj, dict):
            metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            return "%s/%s" % (obj.get("kind"), metadata.get("name"))
        return self.documents[index][0]


def kubeharden(binary: str, args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([binary] + args, input=stdin, capture_output=True, text=True)


def findings_of(binary: str, rendered: Render) -> tuple[list[dict], str | None]:
    """`kubeharden check --format json -` on the rendered stream: its findings, or an error."""
    result = kubeharden(binary, ["check", "--format", "json", "-"], rendered.stream)
    if result.returncode not in (0, 1):
        return [], "kubeharden check - exited %d: %s" % (result.returncode, result.stderr.strip()[-400:])
    try:
        report = json.loads(result.stdout)
    except ValueError as error:
        return [], "kubeharden check - printed no JSON (%s)" % error
    findings = []
    for file in report.get("files") or []:
        if file.get("error"):
            return [], "kubeharden check - reported an error: %s" % file["error"]
        for finding in file.get("findings") or []:
            status = (finding.get("status") or {}).get("kind")
            findings.append({
                "workload": rendered.workload(finding["start"]["line"]),
                "pass": finding.get("passId"),
                "status": status,
                "applicability": finding.get("applicability"),
                "message": finding.get("message"),
            })
    return findings, None


def counts(findings: list[dict]) -> dict[str, int]:
    c = collections.Counter()
    for f in findings:
        if f["status"] == "fixable":
            c["unsafe" if f["applicability"] == "unsafe" else "fixable"] += 1
        elif f["status"] == "manual":
            c["manual"] += 1
        else:
            c[f["status"] or "other"] += 1
    return dict(c)


def comments(oracle, text: str) -> collections.Counter:
    found, _ = oracle.find_comments(text)
    return collections.Counter(c["text"].strip() for c in found)


def changed_lines(before: bytes, after: bytes) -> int:
    a = before.decode("utf-8", "replace").splitlines()
    b = after.decode("utf-8", "replace").splitlines()
    changed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            changed += max(i2 - i1, j2 - j1)
    return changed


def ours(value) -> bool:
    """An emptyDir volume or its mount that read-only-root-filesystem adds for a path the image's
    profile writes (Data/image-profiles.yaml): named kubeharden-*, nothing else (oracle.py's
    allow-list knows /tmp only)."""
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(
        isinstance(v, dict) and str(v.get("name", "")).startswith("kubeharden-")
        and (set(v) == {"name", "emptyDir"} and v["emptyDir"] == {} or set(v) == {"name", "mountPath"})
        for v in items)


def semantic(oracle, before: Render, after: Render, notes: list | None = None) -> list[str]:
    """oracle.py `semantic --allowed` over the rendered objects: what is not a hardening change.

    Two kinds of differences are notes, not problems: the kubeharden-* emptyDirs of an image
    profile's writable paths, and env entries a template derives from the resources the fix set
    (charts such as traefik render GOMAXPROCS/GOMEMLIMIT from `resources.limits`): additions to
    the env of a container whose resources changed in the same render."""
    problems = []
    pairs, document_changes = oracle.align_documents(before.objects, after.objects)
    for change in document_changes:
        problems.append("rendered objects: %s" % json.dumps(change, default=str)[:300])
    for i, j in pairs:
        records = []
        oracle.diff_values(before.objects[i], after.objects[j], [], records)
        resourced = {tuple(r["path"][:r["path"].index("resources")]) for r in records if "resources" in r["path"]}
        for record in records:
            allowed, reason = oracle.classify(record, before.objects[i], after.objects[j])
            if allowed:
                continue
            path = record["path"]
            where = "%s %s %s" % (before.workload(before.starts[i]), record["op"], oracle.ptr(path))
            if record["op"] == "add" and any(k in path[-2:] for k in ("volumes", "volumeMounts")) and ours(record.get("after")):
                if notes is not None:
                    notes.append("%s: an emptyDir for a path the image's profile writes" % where)
                continue
            if record["op"] == "add" and "env" in path and tuple(path[:path.index("env")]) in resourced:
                if notes is not None:
                    notes.append("%s: derived by the chart from the resources the fix set (%s)" % (
                        where, json.dumps(record.get("after"), default=str)[:120]))
                continue
            problems.append("%s: %s (%s)" % (where, reason, json.dumps(record.get("after", record.get("before")), default=str)[:120]))
    return problems


# --------------------------------------------------------------------------
# the checks
# --------------------------------------------------------------------------

def kubeharden_fixer(binary: str, unsafe: bool):
    def fix(chart: str) -> tuple[int, str]:
        result = kubeharden(binary, ["fix"] + (["--unsafe-fixes"] if unsafe else []) + [chart])
        return result.returncode, (result.stderr or result.stdout).strip()
    return fix


def manual_in_templates(binary: str, chart: str):
    """(whether a leftover finding is explained, problem): explained when `check --format json
    CHART` reports a manual finding of the same pass in a file under templates/."""
    result = kubeharden(binary, ["check", "--format", "json", chart])
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return lambda finding: False, "kubeharden check CHART_DIR printed no JSON (exit %d): %s" % (
            result.returncode, result.stderr.strip().splitlines()[0][:300] if result.stderr.strip() else "")
    passes = set()
    for file in report.get("files") or []:
        for finding in file.get("findings") or []:
            path = finding.get("path") or file.get("path") or ""
            if (finding.get("status") or {}).get("kind") == "manual" and "/templates/" in "/" + path:
                passes.add(finding.get("passId"))
    return lambda finding: finding["pass"] in passes, None


def check_chart(chart: str, fixer, oracle, binary: str, label: str | None = None, explain=None) -> dict:
    """Runs every check on a copy of `chart`; {"chart", "violations": [(check, text)], ...}."""
    label = label or os.path.basename(os.path.normpath(chart))
    result = {"chart": label, "violations": [], "before": {}, "after": {}, "values_lines": 0, "workloads": 0}
    violations = result["violations"]

    def violation(check: str, text: str):
        violations.append((check, text))

    with tempfile.TemporaryDirectory(prefix="kubeharden-chart-") as scratch:
        copy = os.path.join(scratch, os.path.basename(os.path.normpath(chart)))
        shutil.copytree(chart, copy, symlinks=True)
        original = snapshot(copy)
        lint = render.lint_chart(copy)
        if not lint["ok"]:
            violation("lint-before", "; ".join(lint["errors"])[:400])
        before = Render(copy, oracle)
        if before.error:
            violation("render-before", before.error)
            return result
        found, error = findings_of(binary, before)
        if error:
            violation("check-before", error)
        result["before"] = counts(found)
        result["workloads"] = len({f["workload"] for f in found})
        result["per_workload"] = {
            w: counts([f for f in found if f["workload"] == w]) for w in sorted({f["workload"] for f in found})}

        status, output = fixer(copy)
        if status not in (0, 1):
            first = output.splitlines()[0] if output else ""
            violation("fix", "fix CHART_DIR exited %d (%d error lines), first: %s" % (
                status, sum(1 for line in output.splitlines() if ": error: " in line), first[:300]))
        fixed = snapshot(copy)
        for path in sorted(set(original) | set(fixed)):
            if path == "values.yaml":
                continue
            if path not in fixed:
                violation("files", "%s was removed" % path)
            elif path not in original:
                violation("files", "%s was added" % path)
            elif original[path] != fixed[path]:
                violation("files", "%s changed (%d lines)" % (path, changed_lines(original[path], fixed[path])))
        if "values.yaml" not in fixed:
            violation("files", "values.yaml was removed")
        else:
            old = original.get("values.yaml", b"")
            new = fixed["values.yaml"]
            result["values_lines"] = changed_lines(old, new)
            lost = comments(oracle, old.decode("utf-8", "replace")) - comments(oracle, new.decode("utf-8", "replace"))
            for text, count in sorted(lost.items()):
                violation("comments", "values.yaml lost %d x comment %r" % (count, text[:120]))

        lint = render.lint_chart(copy)
        if not lint["ok"]:
            violation("lint-after", "; ".join(lint["errors"])[:400])
        after = Render(copy, oracle)
        if after.error:
            violation("render-after", after.error)
        else:
            left, error = findings_of(binary, after)
            if error:
                violation("check-after", error)
            result["after"] = counts(left)
            leftovers = [f for f in left if f["status"] == "fixable" and f["applicability"] != "unsafe"]
            explained = lambda finding: False  # noqa: E731
            if leftovers:
                explained, problem = (explain or manual_in_templates)(binary, copy)
                if problem:
                    result["explain_error"] = problem
            result["manual_left"] = sorted(
                {"%s %s" % (f["workload"], f["pass"]) for f in left if f["status"] == "manual"})
            for f in leftovers:
                if not explained(f):
                    violation("leftover", "%s %s: %s" % (f["workload"], f["pass"], f["message"]))
            notes: list = []
            for problem in semantic(oracle, before, after, notes):
                violation("semantic", problem)
            result["notes"] = notes

        status, output = fixer(copy)
        again = snapshot(copy)
        if again != fixed:
            changed = sorted(p for p in set(again) | set(fixed) if again.get(p) != fixed.get(p))
            violation("idempotent", "a second fix changed %s" % ", ".join(changed)[:300])
    return result


def scaffold(root: str) -> str:
    """A fresh `helm create` chart (Chart.create) under root."""
    from helm_python.chart import Chart
    with Chart.create("mychart", root):
        pass
    return os.path.join(root, "mychart")


def default_charts(scratch: str) -> list[tuple[str, str]]:
    corpus = os.path.join(shared_dir(), "corpus", "helm")
    charts = []
    if os.path.isdir(corpus):
        for name in sorted(os.listdir(corpus)):
            if os.path.exists(os.path.join(corpus, name, "Chart.yaml")):
                charts.append((name, os.path.join(corpus, name)))
    else:
        sys.stderr.write("helm-chart-check.py: %s not found; only the scaffold is checked\n" % corpus)
    charts.append(("helm-create-scaffold", scaffold(scratch)))
    return charts


def fmt(c: dict) -> str:
    return "%d/%d/%d" % (c.get("fixable", 0), c.get("unsafe", 0), c.get("manual", 0))


def print_table(results: list[dict]) -> None:
    header = ("chart", "workloads", "before f/u/m", "after f/u/m", "values lines", "violations")
    rows = [(r["chart"], str(r["workloads"]), fmt(r["before"]), fmt(r["after"]) if r["after"] else "-",
             str(r["values_lines"]), str(len(r["violations"]))) for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))
    print("(f/u/m: fixable / unsafe / manual findings of `kubeharden check -` on the rendered workloads)")


def setup(args):
    """oracle.py, the kubeharden binary (None when it is missing, with a message), and Helm."""
    oracle = load_oracle()
    binary = args.kubeharden or default_binary()
    if not os.access(binary, os.X_OK):
        sys.stderr.write("helm-chart-check.py: kubeharden binary %s not found (build it, or --kubeharden)\n" % binary)
        return oracle, None
    render.require_helm()
    return oracle, binary


def cmd_check(args) -> int:
    oracle, binary = setup(args)
    if binary is None:
        return 2
    fixer = kubeharden_fixer(binary, args.unsafe_fixes)
    results = []
    with tempfile.TemporaryDirectory(prefix="kubeharden-scaffold-") as scratch:
        charts = [(os.path.basename(os.path.normpath(c)), c) for c in args.charts] or default_charts(scratch)
        for label, chart in charts:
            results.append(check_chart(chart, fixer, oracle, binary, label))
    if args.json:
        print(json.dumps(results, indent=2, default=list))
    print_table(results)
    print("\nper rendered workload, before the fix (fixable/unsafe/manual):")
    for r in results:
        for workload, c in (r.get("per_workload") or {}).items():
            print("  %-28s %-60s %s" % (r["chart"], workload, fmt(c)))
    for r in results:
        if r.get("manual_left"):
            print("%s: manual left after the fix: %s" % (r["chart"], ", ".join(r["manual_left"])))
        for note in r.get("notes") or []:
            print("%s: note: %s" % (r["chart"], note))
    failed = [r for r in results if r["violations"]]
    for r in failed:
        print("\n%s: %d violations" % (r["chart"], len(r["violations"])))
        by_check = collections.defaultdict(list)
        for check, text in r["violations"]:
            by_check[check].append(text)
        for check, texts in by_check.items():
            for text in texts[:8]:
                print("  [%s] %s" % (check, text))
            if len(texts) > 8:
                print("  [%s] ... and %d more" % (check, len(texts) - 8))
        if r.get("explain_error"):
            print("  (leftovers not explained: %s)" % r["explain_error"])
    print("\nhelm-chart-check: %d charts, %d with violations" % (len(results), len(failed)))
    return 1 if failed else 0


# --------------------------------------------------------------------------
# self-test: every check catches the fault made for it
# --------------------------------------------------------------------------

# The scaffold's values.yaml blocks (Helm v4's `helm create`), each replaced by a hand-written
# fix that hardens the Deployment (the test Pod's template reads no value: its findings are left
# and explained as manual at its template, see `explain`).
SCAFFOLD_EDITS = [
    ("podSecurityContext: {}\n  # fsGroup: 2000\n",
     "podSecurityContext:\n  # fsGroup: 2000\n  seccompProfile:\n    type: RuntimeDefault\n"),
    ("securityContext: {}\n  # capabilities:\n",
     "securityContext:\n  privileged: false\n  allowPrivilegeEscalation: false\n  readOnlyRootFilesystem: true\n"
     "  # capabilities:\n"),
    ("resources: {}\n  # We usually",
     "resources:\n  requests:\n    cpu: 200m\n    memory: 256Mi\n  limits:\n    cpu: 500m\n    memory: 512Mi\n  # We usually"),
    ("volumes: []\n", "volumes:\n- name: kubeharden-tmp\n  emptyDir: {}\n"),
    ("volumeMounts: []\n", "volumeMounts:\n- name: kubeharden-tmp\n  mountPath: /tmp\n"),
]


def edit_file(path: str, edit) -> None:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    new = edit(text)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(new)


def good_values(text: str) -> str:
    for old, new in SCAFFOLD_EDITS:
        if old not in text:
            raise AssertionError("the scaffold's values.yaml has no %r" % old)
        text = text.replace(old, new, 1)
    return text


def scripted(*steps):
    """A fixer that applies `steps` (path, edit) to the chart copy and exits 0."""
    def fix(chart: str) -> tuple[int, str]:
        for relative, edit in steps:
            edit_file(os.path.join(chart, relative), edit)
        return 0, ""
    return fix


def once(edit):
    """An edit applied on the first call only (a second fix then changes nothing)."""
    done = []

    def apply(text: str) -> str:
        if done:
            return text
        done.append(True)
        return edit(text)
    return apply


def cmd_selftest(args) -> int:
    oracle, binary = setup(args)
    if binary is None:
        return 2

    def explain(_binary, _chart):
        # `check CHART_DIR` reports the test Pod's findings as manual: its template reads no value.
        return lambda finding: finding["workload"].startswith("Pod/"), None

    def drop_first_comment(text: str) -> str:
        return text.replace("  # fsGroup: 2000\n", "", 1)

    schema = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                         "properties": {"replicaCount": {"type": "integer", "maximum": 2}}})
    cases = [
        ("correct values.yaml fix", scripted(("values.yaml", once(good_values))), set(), None),
        ("template edited", scripted(("values.yaml", once(good_values)),
                                     ("templates/deployment.yaml", once(lambda t: t + "# edited\n"))), {"files"}, None),
        ("comment dropped", scripted(("values.yaml", once(lambda t: drop_first_comment(good_values(t))))),
         {"comments"}, None),
        ("nothing fixed", scripted(), {"leftover"}, None),
        ("changes on every run", scripted(("values.yaml", lambda t: (good_values(t) if "{}\n  # fsGroup" in t else t)
                                           + "# run\n")), {"idempotent"}, None),
        ("unrelated value changed", scripted(("values.yaml", once(lambda t: good_values(t).replace(
            "replicaCount: 1\n", "replicaCount: 2\n", 1)))), {"semantic"}, schema),
        ("schema broken", scripted(("values.yaml", once(lambda t: good_values(t).replace(
            "replicaCount: 1\n", "replicaCount: 3\n", 1)))), {"lint-after"}, schema),
        ("fix fails", lambda chart: (2, "x.yaml:1:1: error: boom"), {"fix", "leftover"}, None),
    ]
    failures = 0
    # The split is Helm's (releaseutil.SplitManifests): `---# comment` splits (cert-manager's
    # templates render it), a `---` inside a line does not split, and a separator right after
    # another one's trailing blank lines stays in the document (the first match's `\s*` took
    # the line break the second needs). Go's regexp picks the match a backtracking engine
    # would (pkg.go.dev/regexp: leftmost, then "the one that a backtracking implementation
    # would have chosen"), as Python's re does.
    splits = [
        ("a: 1\n---# c\nb: 2\n", ["a: 1", "# c\nb: 2"]),
        ("\n---\n\n---\na: x---y\n  \n---   \n", ["---\na: x---y"]),
        ("a: 1\n---\n\nb: 2\n---\n", ["a: 1", "b: 2"]),
        ("---\n# Source: t\nkind: Pod\n", ["# Source: t\nkind: Pod"]),
    ]
    for text, expected in splits:
        got = render.split_manifests(text)
        ok = got == expected
        failures += not ok
        print("%s split %-40r -> %r" % ("ok  " if ok else "FAIL", text, got))
    with tempfile.TemporaryDirectory(prefix="kubeharden-selftest-") as scratch:
        for name, fixer, expected, with_schema in cases:
            root = os.path.join(scratch, "case-%d" % len(os.listdir(scratch)))
            os.makedirs(root)
            chart = scaffold(root)
            if with_schema:
                with open(os.path.join(chart, "values.schema.json"), "w") as handle:
                    handle.write(schema)
            result = check_chart(chart, fixer, oracle, binary, name, explain=explain)
            caught = {check for check, _ in result["violations"]}
            ok = expected <= caught and (expected or not caught)
            # Only the checks a fault is about may fire (a broken schema also stops the render).
            extra = caught - expected - ({"render-after", "semantic", "leftover"} if "lint-after" in expected else set())
            ok = ok and not extra
            failures += not ok
            print("%s %-26s expected %-22s caught %s" % ("ok  " if ok else "FAIL", name, sorted(expected) or "nothing",
                                                          sorted(caught) or "nothing"))
            if not ok:
                for check, text in result["violations"]:
                    print("      [%s] %s" % (check, text))
    total = len(cases) + len(splits)
    print("helm-chart-check selftest: %d of %d cases %s" % (total - failures, total,
                                                           "passed" if not failures else "passed; FAILED"))
    return 1 if failures else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check kubeharden fix CHART_DIR on charts")
    check.add_argument("charts", nargs="*", help="chart folders (default: the corpus charts and a scaffold)")
    check.add_argument("--kubeharden", help="kubeharden binary (default: $KUBEHARDEN_BINARY or .build/debug)")
    check.add_argument("--unsafe-fixes", action="store_true", help="pass --unsafe-fixes to fix")
    check.add_argument("--json", action="store_true", help="also print every result as JSON")
    selftest = commands.add_parser("selftest", help="assert that every check catches its fault")
    selftest.add_argument("--kubeharden", help="kubeharden binary")
    args = parser.parse_args(argv)
    return cmd_check(args) if args.command == "check" else cmd_selftest(args)


if __name__ == "__main__":
    render.maybe_reexec_in_venv(__file__)
    sys.exit(main())
