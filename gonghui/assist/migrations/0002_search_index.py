"""Full-text indexes over the segmented search text: GIN over to_tsvector('simple', …) on
PostgreSQL, an external-content FTS5 table kept in sync by triggers on SQLite."""

from django.db import migrations

from gonghui.core.migration_sql import per_vendor

PG_FORWARD = [
    "CREATE INDEX assist_search_words_gin ON assist_searchentry USING gin (to_tsvector('simple', words))",
    "CREATE INDEX assist_search_bigrams_gin ON assist_searchentry USING gin (to_tsvector('simple', bigrams))",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS assist_search_words_gin",
    "DROP INDEX IF EXISTS assist_search_bigrams_gin",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE assist_search_fts USING fts5(words, bigrams, content='assist_searchentry', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER assist_search_ai AFTER INSERT ON assist_searchentry BEGIN "
    "INSERT INTO assist_search_fts(rowid, words, bigrams) VALUES (new.id, new.words, new.bigrams); END",
    "CREATE TRIGGER assist_search_ad AFTER DELETE ON assist_searchentry BEGIN "
    "INSERT INTO assist_search_fts(assist_search_fts, rowid, words, bigrams) "
    "VALUES ('delete', old.id, old.words, old.bigrams); END",
    "CREATE TRIGGER assist_search_au AFTER UPDATE ON assist_searchentry BEGIN "
    "INSERT INTO assist_search_fts(assist_search_fts, rowid, words, bigrams) "
    "VALUES ('delete', old.id, old.words, old.bigrams); "
    "INSERT INTO assist_search_fts(rowid, words, bigrams) VALUES (new.id, new.words, new.bigrams); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS assist_search_ai",
    "DROP TRIGGER IF EXISTS assist_search_ad",
    "DROP TRIGGER IF EXISTS assist_search_au",
    "DROP TABLE IF EXISTS assist_search_fts",
]


class Migration(migrations.Migration):
    dependencies = [("assist", "0001_initial")]

    operations = [
        per_vendor(
            {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD},
            {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD},
        ),
    ]
