"""The ``quizgen`` command line.

User mistakes (a broken concept file, an unknown topic, unreadable input) are ``QuizgenError``s:
they print a message and exit with status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from quizgen import __version__
from quizgen.core.command import concept_dir, exit_on_sigterm, friendly
from quizgen.core.errors import QuizgenError


class _LazyGroup(click.Group):
    """A group whose listed commands are imported on first use (click's documented lazy pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        import importlib

        module, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--concepts",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory of concept files (default: $QUIZGEN_CONCEPTS, else ./concepts, else the bundled ones).",
)
@click.version_option(__version__, prog_name="quizgen")
def cli(concepts: str | None) -> None:
    """Endless, exactly checked practice problems for the mathematics of deep learning."""
    exit_on_sigterm()


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.pass_context
@friendly
def check(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Validate concept files (default: every file in the concepts directory).

    Reports every problem with file, line, field, what was expected and what was found, and exits
    with status 2 if there is any.

    Example: quizgen check concepts/attention.yaml
    """
    from quizgen.core.concepts import (
        ConceptFileError,
        check_files,
        concept_files,
        default_concept_dir,
    )

    targets = list(paths) or [str(concept_dir(ctx) or default_concept_dir())]
    files = concept_files(targets)
    if not files:
        raise QuizgenError(f"no concept files (*.yaml) in {', '.join(targets)}")
    concepts, issues = check_files(files, examples=True)
    if issues:
        raise ConceptFileError(issues)
    templates = sum(len(c.templates) for c in concepts)
    cards = sum(len(c.flashcards) for c in concepts)
    def counted(n: int, what: str) -> str:
        return f"{n} {what}{'' if n == 1 else 's'}"

    click.echo(f"ok: {counted(len(concepts), 'concept file')}, {counted(templates, 'problem template')}, {counted(cards, 'flashcard')}")
    authored = [(c, t) for c in concepts for t in c.templates if t.generator == "authored"]
    if authored:
        from quizgen.core.problems import usable_draws

        reports = [(c, t, *usable_draws(t)) for c, t in authored]
        click.echo(f"authored templates, usable variants of {reports[0][3]} draws (the others fail a condition or have no finite answer):")
        for c, t, passed, _, reasons in reports:
            worst = f"; most often: {max(reasons, key=lambda r: reasons[r])}" if reasons else ""
            click.echo(f"  {c.id}.{t.name}: {passed}{worst}")


def _problem_text(problem: Any, index: int, total: int, title: str) -> str:
    """A whole problem as ``quizgen generate`` prints it: inputs, answer, steps, named mistakes."""
    from quizgen.core.render import step_text
    from quizgen.judge import describe_expected, format_value

    kind = problem.answer.kind
    lines = [
        f"--- {index}/{total}  {problem.id}",
        f"{title} · {problem.template} (difficulty {problem.difficulty})",
        "",
        problem.prompt,
        "",
        problem.describe_inputs(),
        "",
        f"Answer ({describe_expected(problem.answer)}): {format_value(kind, problem.answer.value)}",
    ]
    if problem.steps:
        lines.append("Worked solution:")
        lines.extend("  " + step_text(step, problem.answer.kind) for step in problem.steps)
    if problem.misconceptions:
        lines.append("Named mistakes:")
        lines.extend(f"  {m.name}: {format_value(kind, m.value)} — {m.description}" for m in problem.misconceptions)
    return "\n".join(lines) + "\n"


@cli.command()
@click.argument("topics", nargs=-1, required=True)
@click.option("--n", "-n", "n", default=5, show_default=True, type=click.IntRange(min=1, max=1_000_000), help="How many problems (over the topics).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Same seed, same problems.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "jsonl"]),
    default="text",
    show_default=True,
    help="text for people, jsonl (one problem per line) for programs.",
)
@click.option(
    "--jobs",
    default=0,
    type=click.IntRange(min=0, max=64),
    help="Processes to use; 0 picks the number of cores for large runs. The output is the same.",
)
@click.pass_context
@friendly
def generate(ctx: click.Context, topics: tuple[str, ...], n: int, seed: int, fmt: str, jobs: int) -> None:
    """Generate problems for TOPIC... (concept ids or tags), with answers and worked steps; a
    problem id (attention.attention-weights.v1.1234) draws that very problem again.

    Example: quizgen generate bleu simclr -n 4 --seed 7
    """
    from quizgen.core.concepts import select
    from quizgen.core.library import load_topics
    from quizgen.core.problems import ID_LIKE, PROBLEM_ID, build_many, generate_jobs, jsonl_line, parse_problem_id, rebuild

    ids = [t for t in topics if PROBLEM_ID.match(t)]
    names = [t for t in topics if not PROBLEM_ID.match(t)]
    for meant in (t for t in names if ID_LIKE.match(t)):
        parse_problem_id(meant)  # an id mistyped: says what an id is, not "unknown topic"
    # Only the files the topics (and the problem ids' concepts) name are read.
    everything = load_topics([*names, *(parse_problem_id(pid)[0] for pid in ids)], concept_dir(ctx))
    titles = {c.id: c.title for c in everything}

    def show(chunk: list, index: int, total: int) -> int:
        lines = []
        for problem in chunk:  # a problem, or its JSON line (made where it was built)
            index += 1
            if fmt == "jsonl":
                lines.append((problem if isinstance(problem, str) else problem.to_jsonl()) + "\n")
            else:
                lines.append(_problem_text(problem, index, total, titles[problem.concept]) + "\n")
        click.echo("".join(lines), nl=False)
        return index

    index = show([rebuild(pid, everything) for pid in ids], 0, len(ids)) if ids else 0
    if names:
        total = index + n
        todo = generate_jobs(select(everything, names), n, seed)
        built = build_many(todo, jobs, render=jsonl_line) if fmt == "jsonl" else build_many(todo, jobs)
        for chunk in built:
            index = show(chunk, index, total)


@cli.command()
@click.pass_context
@friendly
def topics(ctx: click.Context) -> None:
    """List the concepts and their tags (either can be a TOPIC).

    Example: quizgen topics
    """
    from quizgen.core.library import load_library

    for c in sorted(load_library(concept_dir(ctx)), key=lambda c: c.id):
        click.echo(f"{c.id:22} {c.title}  [{', '.join(c.tags)}]  {len(c.templates)} templates, {len(c.flashcards)} cards")


@cli.command()
@click.option("--write", type=click.Path(dir_okay=False), default=None, help="Write the schema to this file instead.")
@friendly
def schema(write: str | None) -> None:
    """Print the JSON Schema of concept files (built from the generator registry).

    Example: quizgen schema --write quizgen/schema/concept.schema.json
    """
    from quizgen.core.files import write_text_atomic
    from quizgen.core.schema import concept_schema

    text = json.dumps(concept_schema(), indent=2, ensure_ascii=False) + "\n"
    if write:
        target = Path(write)
        # Replaces only a schema (this one, older or newer): never notes.txt, a quiz file, or
        # whatever a link leads to.
        if target.suffix.lower() != ".json":
            raise QuizgenError(f"{target}: the schema is written to a file ending in .json; try --write {target.with_suffix('.json').name}")
        if target.is_symlink():
            raise QuizgenError(f"cannot write {target}: it is a link; write the schema to a file, not through a link")
        if target.exists() and not _is_concept_schema(target):
            raise QuizgenError(f"cannot write {target}: it holds something other than a concept-file schema; give another name")
        write_text_atomic(target, text)
    else:
        click.echo(text, nl=False)


def _is_concept_schema(path: Path) -> bool:
    """Whether ``path`` holds a JSON Schema of concept files, as ``quizgen schema`` writes one."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "$schema" in data and "problems" in data.get("properties", {})


# Commands that live in their own modules, imported only when used (so `quizgen generate` does not
# pay for the drill's or the deck builder's imports): name -> "module:attribute", one line each.
LAZY_COMMANDS: dict[str, str] = {
    "drill": "quizgen.drill.commands:drill_command",
    "stats": "quizgen.drill.commands:stats_command",
    "deck": "quizgen.anki.deck:deck_command",
    "quiz": "quizgen.classroom.commands:quiz_command",
    "grade": "quizgen.classroom.commands:grade_command",
    "export": "quizgen.classroom.export:export_command",
}


def main() -> None:
    import gc

    # quizgen's data (problems, answers, grades) holds no reference cycles, and a command may make
    # hundreds of thousands of such objects: with the default thresholds the cyclic collector
    # rescans them again and again (grading 100,000 answers took 1.6x as long). Collect rarely.
    gc.set_threshold(50_000, 10, 10)
    friendly(_run)()  # also --help and --version onto a full disk


def _run() -> None:
    """The command line, with click's own exits made quizgen's: a Ctrl-C that lands outside a
    command (while click finds it) is "interrupted" and 130 too, not click's "Aborted!" and 1."""
    try:
        code = cli.main(prog_name="quizgen", standalone_mode=False)
    except click.exceptions.Abort:
        raise KeyboardInterrupt from None
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    # The command is done (its files written, its report printed): a Ctrl-C or SIGTERM now, while
    # the interpreter shuts down, changes nothing, so it must not turn the exit status into 130
    # or print a traceback from an exit handler, as it did for a class quiz already written.
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
