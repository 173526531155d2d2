#!/usr/bin/env python3
"""helm-render.py - render a Helm chart offline with Helm itself, for kubeharden's tests and CI.

kubeharden never needs Helm or Python; this script is only how the tests learn what a chart
renders. Helm v4 comes as a shared library from PyPI (`helm-python-sdk`, no helm binary, no
cluster: `lookup` returns nothing); `.ci/run` installs it with PyYAML into
~/.cache/kubeharden-helm-venv, and this script re-executes itself with that venv's python
when it is started with another one.

  render CHART [-f VALUES] [--name rel] [--namespace default]
      Print what the chart renders as one multi-document YAML stream, the way `helm template`
      prints it: every rendered template split into documents as Helm splits them
      (releaseutil.SplitManifests), empty documents and NOTES.txt left out, each document
      after `---` and a `# Source: <template path>` line, templates in path order, documents
      in their order in the template. Exit 1 when the chart does not load or render.
  lint CHART [-f VALUES] [--name rel] [--namespace default]
      Load, render, validate the values against values.schema.json and run Helm's linter;
      print one JSON object (ok, errors, warnings, documents, templates). Exit 1 when
      something fails or the linter reports an error (a warning is no failure).

Exit 2: the script itself cannot work (no helm-python-sdk, no PyYAML, unreadable values).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

VENV_ENV = "KUBEHARDEN_HELM_VENV"


def venv_dir() -> str:
    default = os.path.join(os.path.expanduser("~"), ".cache", "kubeharden-helm-venv")
    return os.path.abspath(os.environ.get(VENV_ENV) or default)


def maybe_reexec_in_venv(script: str) -> None:
    """Run `script` with the venv's python when this one lacks helm_python (and the venv exists)."""
    try:
        import helm_python  # noqa: F401
        import yaml  # noqa: F401
        return
    except ImportError:
        pass
    python = os.path.join(venv_dir(), "bin", "python")
    if os.environ.get("_KUBEHARDEN_HELM_IN_VENV") == "1" or not os.path.exists(python):
        return
    env = dict(os.environ, _KUBEHARDEN_HELM_IN_VENV="1")
    os.execve(python, [python, os.path.abspath(script)] + sys.argv[1:], env)


def require_helm():
    """helm_python's Chart and lint, or exit 2 naming what is missing."""
    try:
        from helm_python.chart import Chart, lint, values_from_yaml
    except ImportError as error:
        sys.stderr.write(
            "helm-render.py: helm-python-sdk is not importable (%s); install it with "
            "`python3 -m venv %s && %s/bin/pip install helm-python-sdk==0.2.2 PyYAML==6.0.3` "
            "(or run .ci/run), or set %s\n" % (error, venv_dir(), venv_dir(), VENV_ENV))
        sys.exit(2)
    return Chart, lint, values_from_yaml


# Helm's own document split: helm/helm pkg/releaseutil/manifest.go, SplitManifests (charts
# apiVersion v1/v2): `regexp.MustCompile("(?:^|\\s*\n)---\\s*")` over the TrimSpace'd text,
# empty pieces skipped, each piece TrimSpace'd. Go's RE2 `\s` is [\t\n\f\r ] (Python's `\s`
# also matches \v and Unicode spaces, hence the explicit class).
_SEPARATOR = re.compile(r"(?:^|[\t\n\f\r ]*\n)---[\t\n\f\r ]*")


def split_manifests(text: str) -> list[str]:
    """The documents of one rendered template, as Helm cuts them."""
    documents = []
    for piece in _SEPARATOR.split(text.strip()):
        if piece == "":
            continue
        piece = piece.strip()
        if piece:
            documents.append(piece)
    return documents


def is_rendered_manifest(path: str) -> bool:
    """Helm prints neither NOTES.txt nor partials (`_*.tpl`), whatever they render to."""
    base = os.path.basename(path)
    return not (base == "NOTES.txt" or base.startswith("_"))


def load_values(path: str | None, values_from_yaml) -> dict | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return values_from_yaml(handle.read())
    except OSError as error:
        sys.stderr.write("helm-render.py: cannot read values file %s: %s\n" % (path, error))
        sys.exit(2)


def render_documents(chart_dir: str, values: dict | None = None, name: str = "rel", namespace: str = "default"):
    """[(template path, document text)] in a stable order; raises helm_python's errors."""
    Chart, _, _ = require_helm()
    with Chart.load(chart_dir) as chart:
        rendered = chart.render(values=values, name=name, namespace=namespace)
    documents = []
    for path in sorted(rendered):
        if not is_rendered_manifest(path):
            continue
        for document in split_manifests(rendered[path]):
            documents.append((path, document))
    return documents


def stream(documents) -> str:
    """One YAML stream, `---` and a `# Source:` comment before each document (as `helm template`)."""
    return "".join("---\n# Source: %s\n%s\n" % (path, text) for path, text in documents)


def render_stream(chart_dir: str, values: dict | None = None, name: str = "rel", namespace: str = "default") -> str:
    return stream(render_documents(chart_dir, values, name, namespace))


def lint_chart(chart_dir: str, values: dict | None = None, name: str = "rel", namespace: str = "default") -> dict:
    """Load + render + schema validation + Helm's linter; {"ok", "errors", "warnings", ...}."""
    Chart, lint, _ = require_helm()
    errors, warnings = [], []
    documents = []
    try:
        with Chart.load(chart_dir) as chart:
            try:
                chart.validate_schema(chart.merge_values(values))
            except Exception as error:  # helm_python.errors.HelmValuesError
                errors.append("values.schema.json: %s" % error)
        documents = render_documents(chart_dir, values, name, namespace)
    except Exception as error:  # HelmChartLoadError, HelmRenderError, HelmValuesError
        errors.append("%s: %s" % (type(error).__name__, error))
    try:
        report = lint(chart_dir, values, namespace=namespace)
        # severity: 0 unknown, 1 info, 2 warning, 3 error (helm_python.chart.lint)
        for message in report.get("messages") or []:
            text = "%s: %s" % (message.get("path"), message.get("error"))
            if message.get("severity") == 3:
                errors.append("lint: " + text)
            elif message.get("severity") == 2:
                warnings.append("lint: " + text)
        errors.extend("lint: %s" % e for e in report.get("errors") or [] if ("lint: %s" % e) not in errors)
    except Exception as error:
        errors.append("lint: %s: %s" % (type(error).__name__, error))
    return {
        "chart": chart_dir,
        "ok": not errors,
        "errors": errors,
        "warnings": warnings,
        "documents": len(documents),
        "templates": len({path for path, _ in documents}),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for command in ("render", "lint"):
        sub = commands.add_parser(command)
        sub.add_argument("chart", help="chart folder (with Chart.yaml) or .tgz")
        sub.add_argument("-f", "--values", help="values file merged over the chart's defaults")
        sub.add_argument("--name", default="rel", help="release name (default: rel)")
        sub.add_argument("--namespace", default="default", help="release namespace (default: default)")
    args = parser.parse_args(argv)
    _, _, values_from_yaml = require_helm()
    values = load_values(args.values, values_from_yaml)
    if args.command == "render":
        try:
            sys.stdout.write(render_stream(args.chart, values, args.name, args.namespace))
        except Exception as error:  # the chart's own problem, not this script's
            sys.stderr.write("helm-render.py: %s: %s: %s\n" % (args.chart, type(error).__name__, error))
            return 1
        return 0
    result = lint_chart(args.chart, values, args.name, args.namespace)
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    maybe_reexec_in_venv(__file__)
    sys.exit(main())
