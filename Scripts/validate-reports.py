#!/usr/bin/env python3
"""Validate kubeharden's SARIF and reviewdog rdjson reports against their JSON Schemas, offline.

usage: validate-reports.py {sarif,rdjson,rdjsonl} FILE...

The schemas are read from $KUBEHARDEN_SCHEMAS, or else from ../shared/schemas next to the
repository (this script's parent's parent). Validation uses Python's `jsonschema` with a
`referencing` registry that has no retrieve function, so nothing is ever fetched.

Prints one line per file ("FILE: valid" or "FILE: invalid: ..."); for rdjsonl, every line of a
file is one rdjson Diagnostic.

Exit status: 0 when every file is valid, 1 when one is invalid or unreadable, 2 on a usage error,
77 when python3's jsonschema or the schemas are missing (the test suite then skips).
"""

import json
import os
import pathlib
import sys

SKIP = 77
KINDS = {
    "sarif": "sarif-schema-2.1.0.json",
    "rdjson": "rdjson/DiagnosticResult.json",
    "rdjsonl": "rdjson/Diagnostic.json",
}


def schemas_folder() -> pathlib.Path:
    configured = os.environ.get("KUBEHARDEN_SCHEMAS")
    if configured:
        return pathlib.Path(configured).resolve()
    repository = pathlib.Path(__file__).resolve().parent.parent
    return (repository.parent / "shared" / "schemas").resolve()


def make_validator(folder: pathlib.Path, kind: str):
    try:
        import jsonschema
    except ImportError:
        print("validate-reports: skipped: the Python module jsonschema is not installed", file=sys.stderr)
        sys.exit(SKIP)
    schema_path = folder / KINDS[kind]
    if not schema_path.is_file():
        print(f"validate-reports: skipped: no schema at {schema_path} (set KUBEHARDEN_SCHEMAS)", file=sys.stderr)
        sys.exit(SKIP)

    def load(path: pathlib.Path):
        return json.loads(path.read_text(encoding="utf-8"))

    schema = load(schema_path)
    try:
        import referencing
        import referencing.jsonschema
    except ImportError:  # jsonschema older than 4.18
        store = {p.name: load(p) for p in folder.glob("rdjson/*.json")}
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        return jsonschema.Draft4Validator(schema, resolver=resolver)
    registry = referencing.Registry().with_resources(  # no retrieve function: nothing is fetched
        (p.name, referencing.jsonschema.DRAFT4.create_resource(load(p))) for p in folder.glob("rdjson/*.json")
    )
    return jsonschema.Draft4Validator(schema, registry=registry)


def describe(errors) -> str:
    parts = []
    for error in errors[:5]:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        parts.append(f"{where}: {error.message}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def main(argv) -> int:
    if len(argv) < 3 or argv[1] not in KINDS:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    kind, files = argv[1], argv[2:]
    validator = make_validator(schemas_folder(), kind)
    failed = False
    for name in files:
        try:
            text = pathlib.Path(name).read_text(encoding="utf-8")
            documents = [json.loads(line) for line in text.splitlines() if line.strip()] if kind == "rdjsonl" else [json.loads(text)]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            print(f"{name}: invalid: cannot read JSON: {error}")
            failed = True
            continue
        errors = [e for document in documents for e in validator.iter_errors(document)]
        if errors:
            print(f"{name}: invalid: {describe(errors)}")
            failed = True
        else:
            print(f"{name}: valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
