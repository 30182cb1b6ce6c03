#!/usr/bin/python3
"""Keeps scenarios/scenario.schema.json honest: the shipped scenarios and the valid examples pass
it and `memgate validate`; every invalid example fails both.

usage: check_schema.py SOURCE_DIR MEMGATE
"""
import glob
import json
import os
import subprocess
import sys

import jsonschema


def main() -> int:
    source_dir, memgate = sys.argv[1], sys.argv[2]
    with open(os.path.join(source_dir, "scenarios", "scenario.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    data = os.path.join(source_dir, "tests", "data", "scenarios")
    shipped = [p for p in glob.glob(os.path.join(source_dir, "scenarios", "*.json"))
               if not p.endswith(".schema.json")]
    valid = shipped + glob.glob(os.path.join(data, "valid", "*.json"))
    invalid = glob.glob(os.path.join(data, "invalid", "*.json"))
    failures = 0
    for path in sorted(valid) + sorted(invalid):
        expect_valid = path in valid
        with open(path) as f:
            errors = list(validator.iter_errors(json.load(f)))
        memgate_rc = subprocess.run([memgate, "validate", path], capture_output=True).returncode
        schema_ok = (not errors) == expect_valid
        memgate_ok = memgate_rc == (0 if expect_valid else 2)
        verdict = "ok  " if schema_ok and memgate_ok else "FAIL"
        failures += verdict == "FAIL"
        detail = errors[0].message if errors else "no schema error"
        print(f"{verdict} {'valid  ' if expect_valid else 'invalid'} {os.path.relpath(path, source_dir)}"
              f" (schema: {detail[:80]}; memgate exit {memgate_rc})")
    print(f"{len(valid) + len(invalid) - failures} of {len(valid) + len(invalid)} files agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
