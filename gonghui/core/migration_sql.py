"""Raw SQL in migrations that differs by database (full-text indexes, triggers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import migrations


def per_vendor(
    forward: Mapping[str, Sequence[str]], backward: Mapping[str, Sequence[str]]
) -> migrations.RunPython:
    """A migration operation running ``forward[vendor]`` (``backward[vendor]`` when unapplied),
    statement by statement; a vendor without an entry runs nothing."""

    def run(statements: Mapping[str, Sequence[str]]):  # type: ignore[no-untyped-def]
        def apply(apps, schema_editor):  # type: ignore[no-untyped-def]
            for sql in statements.get(schema_editor.connection.vendor, ()):
                schema_editor.execute(sql)

        return apply

    return migrations.RunPython(run(forward), run(backward))
