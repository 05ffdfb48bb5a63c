"""The library change log behind the resident match index: a table, and triggers on the two
library tables that append a row for every statement writing them (PostgreSQL: one row per
statement; SQLite has only row-level triggers: one row per written row)."""

from django.db import migrations, models

from gonghui.core.migration_sql import per_vendor

TABLES = {"assist_craftsman": "craftsman", "assist_libraryoutcome": "outcome"}

PG_FORWARD = [
    "CREATE FUNCTION assist_log_library_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN INSERT INTO assist_librarychange (kind, changed_at) VALUES (TG_ARGV[0], now()); "
    "RETURN NULL; END $$",
    *(
        f"CREATE TRIGGER {table}_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION assist_log_library_change('{kind}')"
        for table, kind in TABLES.items()
    ),
]
PG_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {table}_change ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS assist_log_library_change()",
]
SQLITE_FORWARD = [
    f"CREATE TRIGGER {table}_change_{event.lower()} AFTER {event} ON {table} BEGIN "
    f"INSERT INTO assist_librarychange (kind, changed_at) VALUES ('{kind}', CURRENT_TIMESTAMP); END"
    for table, kind in TABLES.items()
    for event in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {table}_change_{event.lower()}"
    for table in TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
]


class Migration(migrations.Migration):
    dependencies = [("assist", "0005_search_terms")]

    operations = [
        migrations.CreateModel(
            name="LibraryChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=10)),
                ("changed_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "资源库变更",
                "verbose_name_plural": "资源库变更",
                "indexes": [models.Index(fields=["kind", "id"], name="assist_libchange_kind_id")],
            },
        ),
        per_vendor(
            {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD},
            {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD},
        ),
    ]
