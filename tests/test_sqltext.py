"""Statement splitting and FORMAT-clause detection follow ClickHouse's lexer rules."""

from __future__ import annotations

import pytest

from tailhouse.collector.sqltext import ends_statement, has_format_clause, is_incomplete, split_statements


@pytest.mark.parametrize("script, statements", [
    ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
    ("SELECT 'a;b'; SELECT 'it''s;'", ["SELECT 'a;b'", "SELECT 'it''s;'"]),
    ("SELECT 'esc\\';x' AS s", ["SELECT 'esc\\';x' AS s"]),
    ('SELECT 1 AS "a;b"; SELECT `c;d`', ['SELECT 1 AS "a;b"', "SELECT `c;d`"]),
    ("SELECT 1 -- no; split\n; SELECT 2", ["SELECT 1 -- no; split", "SELECT 2"]),
    ("SELECT 1 /* a /* nested ; */ ; */; SELECT 2", ["SELECT 1 /* a /* nested ; */ ; */", "SELECT 2"]),
    ("SELECT $$x;y$$; SELECT $tag$a;$$;b$tag$", ["SELECT $$x;y$$", "SELECT $tag$a;$$;b$tag$"]),
    ("-- only a comment;\n;;", []),
    ("# hash comment ;\nSELECT 1", ["# hash comment ;\nSELECT 1"]),
])
def test_split_statements(script: str, statements: list[str]) -> None:
    assert split_statements(script) == statements


@pytest.mark.parametrize("statement, expected", [
    ("SELECT 1 FORMAT JSON", True),
    ("select 1 format jsoneachrow", True),
    ("SELECT 1 FORMAT CSV SETTINGS max_threads = 1", True),
    ("SELECT 1 SETTINGS max_threads = 1 FORMAT Vertical", True),
    ("SELECT 1 FORMAT `TSV`", True),
    ("INSERT INTO t FORMAT JSONEachRow {\"a\": 1}", True),
    ("SELECT format('{}', 'x')", False),
    ("SELECT format FROM t", False),
    ("SELECT x AS format", False),
    ("SELECT 'FORMAT JSON'", False),
    ("SELECT 1 -- FORMAT JSON", False),
    ("SELECT * FROM (SELECT 1 FORMAT JSON)", False),
    ("SELECT t.format FROM t", False),
])
def test_has_format_clause(statement: str, expected: bool) -> None:
    assert has_format_clause(statement) is expected


def test_incomplete_input_waits_for_more() -> None:
    assert is_incomplete("SELECT 'open")
    assert is_incomplete("SELECT (1")
    assert is_incomplete("SELECT 1 /* open")
    assert not is_incomplete("SELECT ')' ")
    assert ends_statement("SELECT 1; -- done")
    assert not ends_statement("SELECT ';'")
