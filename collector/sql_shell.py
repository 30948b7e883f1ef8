"""`tailhouse sql`: statements from the argument, files or stdin, or an interactive prompt with history.

Behaves as `clickhouse-client` does where users would notice: statements separated by `;` run in
order and stop at the first error (unless --ignore-error); on a terminal, Enter runs the line
(a trailing backslash continues it, and --multiline waits for `;`); history is kept in a file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Protocol

from .query import output_format
from .sqltext import ends_statement, is_incomplete, split_statements

EXIT_WORDS = frozenset({"exit", "quit", "logout", "q", "Q", ":q", "\\q", "exit;", "quit;"})
PROMPT = "tailhouse :) "
CONTINUATION = "tailhouse :-] "
HISTORY_LENGTH = 10_000


class Session(Protocol):
    """Where statements run (the running service, or ClickHouse directly)."""

    def run(self, sql: str, fmt: str, params: dict[str, str] | None = None) -> bytes: ...


class BinaryToTerminal(RuntimeError):
    """Binary output (Parquet, Arrow, Native, …) would garble the terminal."""


def default_history_file() -> Path:
    """$TAILHOUSE_HISTORY_FILE, else ~/.tailhouse_history."""
    return Path(os.environ.get("TAILHOUSE_HISTORY_FILE") or Path.home() / ".tailhouse_history")


@dataclass
class SqlCommand:
    """One `tailhouse sql` invocation: what to run, how to print it."""

    fmt: str
    params: dict[str, str]
    scripts: list[str] | None  # None: interactive
    out: IO[bytes]
    out_is_terminal: bool
    err: IO[str] = field(default_factory=lambda: sys.stderr)
    ignore_error: bool = False
    multiline: bool = False
    history_file: Path = field(default_factory=default_history_file)

    @classmethod
    def from_args(cls, args: argparse.Namespace, stdin: IO[str], stdout: IO[str]) -> "SqlCommand":
        """Resolve the query source and the output format the way clickhouse-client does."""
        out_tty = stdout.isatty()
        fmt = output_format(args.format, out_tty)
        scripts: list[str] | None = []
        for text in (args.query, args.query_option):
            if text is not None:
                scripts.append(text)
        for name in args.queries_file or []:
            scripts.append(stdin.read() if name == "-" else Path(name).read_text())
        if not scripts:
            scripts = None if stdin.isatty() else [stdin.read()]
        history = Path(args.history_file) if args.history_file else default_history_file()
        return cls(fmt=fmt, params=dict(args.params), scripts=scripts, out=stdout.buffer, out_is_terminal=out_tty,
                   ignore_error=args.ignore_error, multiline=args.multiline, history_file=history)

    def run(self, session: Session) -> int:
        """Exit status: 0, or 1 when a statement failed."""
        if self.scripts is None:
            return self.interactive(session)
        statements = [s for script in self.scripts for s in split_statements(script)]
        if not statements:
            print("tailhouse sql: no query: pass it as an argument, with --queries-file or on stdin", file=self.err)
            return 2
        status = 0
        for statement in statements:
            try:
                self._write(session.run(statement, self.fmt, self.params))
            except Exception as exc:  # reported per statement, as clickhouse-client does
                print(f"tailhouse sql: {str(exc).strip()}", file=self.err)
                status = 1
                if not self.ignore_error:
                    break
        return status

    def _write(self, output: bytes) -> None:
        if self.out_is_terminal and output:
            try:
                output.decode()
            except UnicodeDecodeError:
                raise BinaryToTerminal(f"{self.fmt} output is binary: redirect it to a file "
                                       f"(> result.{self.fmt.lower()}) or a pipe") from None
        self.out.write(output)
        self.out.flush()

    def interactive(self, session: Session) -> int:
        """Prompt, run, print, until exit or end of input; history kept in `history_file`."""
        try:
            import readline  # the line editor and history; imported here, only a terminal needs it
        except ImportError:  # a Python built without it: the prompt works, without editing or history
            readline = None  # type: ignore[assignment]
            print("tailhouse sql: no readline in this Python: no line editing or history", file=self.err)
        if readline is not None:
            try:
                readline.read_history_file(self.history_file)
            except FileNotFoundError:
                pass
            readline.set_history_length(HISTORY_LENGTH)
        how = "a query runs once it ends with ;" if self.multiline else "Enter runs the query (a trailing \\ continues it)"
        print(f"tailhouse sql: {how}; exit or Ctrl-D quits", file=self.err)
        lines: list[str] = []
        history_start = 0
        while True:
            if not lines and readline is not None:
                history_start = readline.get_current_history_length()
            try:
                line = input(CONTINUATION if lines else PROMPT)
            except EOFError:
                print(file=self.err)
                return 0
            except KeyboardInterrupt:  # Ctrl-C drops the query being typed, as in a shell
                print(file=self.err)
                lines = []
                continue
            if not lines and line.strip() in EXIT_WORDS:
                return 0
            continued = line.endswith("\\") and not line.endswith("\\\\")
            lines.append(line[:-1] if continued else line)
            text = "\n".join(lines)
            if continued or is_incomplete(text) or (self.multiline and not ends_statement(text)):
                continue
            lines = []
            if readline is not None and text.strip():
                self._remember(readline, history_start, text)
            for statement in split_statements(text):
                self._run_one(session, statement)

    def _remember(self, readline: ModuleType, start: int, text: str) -> None:
        """One history entry per query, however many lines it was typed on."""
        for pos in range(readline.get_current_history_length() - 1, start - 1, -1):
            readline.remove_history_item(pos)
        readline.add_history(" ".join(part.strip() for part in text.splitlines() if part.strip()))
        try:
            readline.write_history_file(self.history_file)
        except OSError as exc:
            print(f"tailhouse sql: history not saved to {self.history_file}: {exc}", file=self.err)

    def _run_one(self, session: Session, statement: str) -> None:
        started = time.monotonic()
        try:
            output = session.run(statement, self.fmt, self.params)
            self._write(output)
        except KeyboardInterrupt:
            print("\nQuery interrupted (it may still finish on the server).", file=self.err)
            return
        except Exception as exc:  # the prompt stays; the error is shown as ClickHouse gave it
            print(f"Error: {str(exc).strip()}", file=self.err)
            return
        if not output:
            print("Ok.", file=self.err)
        print(f"Elapsed: {time.monotonic() - started:.3f} sec.\n", file=self.err)
