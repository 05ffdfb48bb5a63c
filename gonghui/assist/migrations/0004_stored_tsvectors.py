"""PostgreSQL: keep each view's tsvector as a stored generated column with its GIN index.

Ranking (ts_rank_cd) reads the tsvector of every matching row; with an expression index the
vector was re-parsed from the text for each of them, which dominated query time. SQLite keeps
its FTS5 table (migration 0002)."""

from django.db import migrations

from gonghui.core.migration_sql import per_vendor

FORWARD = [
    "DROP INDEX IF EXISTS assist_search_words_gin",
    "DROP INDEX IF EXISTS assist_search_bigrams_gin",
    "ALTER TABLE assist_searchentry ADD COLUMN words_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', words)) STORED",
    "ALTER TABLE assist_searchentry ADD COLUMN bigrams_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', bigrams)) STORED",
    "CREATE INDEX assist_search_words_tsv_gin ON assist_searchentry USING gin (words_tsv)",
    "CREATE INDEX assist_search_bigrams_tsv_gin ON assist_searchentry USING gin (bigrams_tsv)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS assist_search_words_tsv_gin",
    "DROP INDEX IF EXISTS assist_search_bigrams_tsv_gin",
    "ALTER TABLE assist_searchentry DROP COLUMN IF EXISTS words_tsv",
    "ALTER TABLE assist_searchentry DROP COLUMN IF EXISTS bigrams_tsv",
    "CREATE INDEX assist_search_words_gin ON assist_searchentry USING gin (to_tsvector('simple', words))",
    "CREATE INDEX assist_search_bigrams_gin ON assist_searchentry USING gin (to_tsvector('simple', bigrams))",
]


class Migration(migrations.Migration):
    dependencies = [("assist", "0003_links_and_indexes")]

    operations = [per_vendor({"postgresql": FORWARD}, {"postgresql": BACKWARD})]
