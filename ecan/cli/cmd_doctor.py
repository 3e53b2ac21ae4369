"""`ecan doctor` (contract): runs the checks and prints a table, or `{checks: [...]}` with
--json. Exit 0 only when every check passes."""

from __future__ import annotations

import argparse
import textwrap

from ecan.cli.output import Output


def run(args: argparse.Namespace, out: Output) -> int:
    from ecan.cli.context import open_app
    from ecan.doctor import config_failed, run_checks
    from ecan.errors import ConfigError

    try:
        app = open_app()
    except ConfigError as e:
        # Still the doctor's table (scripts read `checks`), and exit 2 as for any bad setting.
        checks = config_failed(e)
        code = 2
    else:
        try:
            checks = run_checks(app)
        finally:
            app.close()
        code = 0 if all(c.ok for c in checks) else 1

    def table() -> str:
        width = max(len(c.label) for c in checks)
        lines: list[str] = []
        indent = " " * (width + 11)
        for c in checks:
            mark = " ok " if c.ok else "skip" if c.skipped else "FAIL"
            detail = textwrap.fill(c.detail, 100,
                                   initial_indent=f"  [{mark}] {c.label:<{width}}  ",
                                   subsequent_indent=indent)
            lines.append(detail)
            if c.hint and not c.ok:
                lines.append(textwrap.fill(c.hint, 100, initial_indent=f"{indent}fix: ",
                                           subsequent_indent=indent + "     "))
        passed = sum(c.ok for c in checks)
        skipped = sum(c.skipped for c in checks)
        lines.append(f"{passed} of {len(checks)} checks passed"
                     + (f", {skipped} not checked." if skipped else "."))
        return "\n".join(lines)

    out.result({"checks": [c.to_dict() for c in checks]}, table)
    return code
