"""The README against the command line it documents: every ``python -m localcloud`` line of its command
lists is accepted by the real parser, its list and ``--help``'s name the same commands, and what it says
about the command line (options before the command, one-line errors, exit statuses) holds.

The parser is called in-process and never runs a command, so nothing here starts a process or a cloud.
"""

from __future__ import annotations

import re
import shlex

import pytest

from localcloud.cli import main
from tests.repository import ROOT

README = (ROOT / "README.md").read_text()
PREFIX = "python -m localcloud "
# The placeholders of the README's lines, replaced by a value of their kind.
PLACEHOLDERS = {"FUNCTION": "RekognitionCustomLabelsExample/Consumer", "JSON": '{"key": "value"}'}


def section(heading: str) -> str:
    """The README's text from ``heading`` (a line starting with it) to the next heading of any level."""
    start = README.index(f"\n{heading}") + 1
    following = re.search(r"^#{1,6} ", README[start + len(heading) :], re.M)
    return README[start : start + len(heading) + following.start()] if following else README[start:]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def command_lines(block: str) -> list[str]:
    """The ``python -m localcloud`` commands of a shell block: continuation lines joined, comments and a
    trailing ``&`` removed."""
    joined = re.sub(r"\\\n\s*", " ", block)
    lines = [line.split(" # ", 1)[0].strip().removesuffix("&").strip() for line in joined.splitlines()]
    return [line for line in lines if line.startswith(PREFIX)]


def arguments(line: str) -> list[str]:
    """A shown command line as the parser gets it: optional parts ``[...]`` given, placeholders filled."""
    words = shlex.split(line.removeprefix(PREFIX).replace("[", "").replace("]", ""))
    return [PLACEHOLDERS.get(word, word) for word in words]


README_LINES = [line for block in shell_blocks(README) for line in command_lines(block)]
README_LIST = command_lines(shell_blocks(section("### `python -m localcloud`"))[0])
HELP_LIST = [line.strip().split(" # ", 1)[0].strip() for line in (main.__doc__ or "").splitlines()]
HELP_LIST = [line for line in HELP_LIST if line.startswith(PREFIX)]
COMMANDS = main.command_parsers(main.parser())


def test_the_readme_shows_commands_in_several_lists() -> None:
    # GIVEN the command lists of the README THEN they were found (the extraction below has something)
    assert len(README_LINES) >= 15, README_LINES
    assert len(README_LIST) >= 8, README_LIST


@pytest.mark.parametrize("line", README_LINES)
def test_every_command_line_the_readme_shows_is_accepted(line: str) -> None:
    # GIVEN a `python -m localcloud` line of the README, its placeholders filled
    argv = arguments(line)
    # WHEN the real parser reads it (nothing is run)
    args = main.parse(argv)
    # THEN it names a command and takes every option as given
    assert args.command in COMMANDS
    assert args.command == argv[0] or argv[0].startswith("-")


def test_the_help_and_the_readme_list_the_same_commands() -> None:
    # GIVEN the commands `python -m localcloud --help` lists and those of the README's list
    in_help = {arguments(line)[0] for line in HELP_LIST}
    in_readme = {arguments(line)[0] for line in README_LIST}
    # THEN both name every command the parser has, and no other
    assert in_help == in_readme == set(COMMANDS)
    # AND each line of the help is accepted as well
    for line in HELP_LIST:
        assert main.parse(arguments(line)).command == arguments(line)[0]


def test_the_readme_names_the_same_forms_of_function_as_invoke_help() -> None:
    # GIVEN invoke's help for FUNCTION and the README's paragraph on invoke
    function_help = next(a.help for a in COMMANDS["invoke"]._actions if a.dest == "function")
    assert function_help is not None
    paragraph = section("### `python -m localcloud`").split("- `invoke FUNCTION", 1)[1].split("\n- ", 1)[0]
    # THEN both name each form the command accepts
    forms = {
        "name (its physical id)": "name (its physical id)",
        "ARN": "ARN",
        "STACK/LOGICAL_ID": "<StackName>/<LogicalId>",
        "construct path as cdk shows it": "construct path as `cdk` shows it",
        "logical id alone": "logical id alone",
    }
    for in_help, in_readme in forms.items():
        assert in_help in function_help, in_help
        assert in_readme in " ".join(paragraph.split()), in_readme


# -- what the README says about the command line ------------------------------------------------------


def test_deploys_context_may_come_before_the_command() -> None:
    # WHEN -c is given before the command's name, and after it
    args = main.parse(["-c", "team=x", "--state", "s", "deploy", "-c", "stage=y", "Stack"])
    # THEN deploy gets both, in order, and the rest as usual
    assert args.command == "deploy" and args.context == [("team", "x"), ("stage", "y")]
    assert args.stacks == ["Stack"] and str(args.state) == "s"


def test_common_options_may_come_before_or_after_the_command() -> None:
    # WHEN the common options come before the command, or after it
    before = main.parse(["--state", "s", "--time-scale", "60", "--training-seconds", "5", "status"])
    after = main.parse(["status", "--state", "s", "--time-scale", "60", "--training-seconds", "5"])
    # THEN they mean the same, and the defaults fill in what is not given
    assert vars(before) == vars(after)
    assert (str(before.state), before.time_scale, before.training_seconds) == ("s", 60, 5)
    plain = main.parse(["status"])
    assert (plain.state, plain.time_scale, plain.training_seconds) == (
        main.DEFAULT_STATE_DIR,
        main.DEFAULT_TIME_SCALE,
        main.DEFAULT_TRAINING_SECONDS,
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        ([], "python -m localcloud: the following arguments are required: COMMAND"),
        (["nonsense"], "python -m localcloud: argument COMMAND: invalid choice: 'nonsense'"),
        (["status", "--bogus"], "python -m localcloud status: unrecognized arguments: --bogus"),
        (
            ["deploy", "-c", "team"],
            "python -m localcloud deploy: argument -c/--context: context must be KEY=VALUE, not 'team' "
            "(see python -m localcloud deploy --help)",
        ),
        (["deploy", "--assembly", "cdk.out", "-c", "team=a"], "cannot change an already synthesized"),
        (
            ["-c", "team=a", "status"],
            "python -m localcloud: -c/--context is an option of deploy, not of status",
        ),
        (
            ["--assembly", "cdk.out", "deploy"],
            "python -m localcloud: --assembly is an option of deploy: write it after the command's name, "
            "as in python -m localcloud deploy --assembly DIR",
        ),
        (["--json", "status"], "--json is an option of status: write it after the command's name"),
        (["invoke", "F", "--payload", "[1]"], "the event must be a JSON object, not '[1]'"),
        (["serve", "--port", "many"], "python -m localcloud serve: argument --port: invalid int value"),
    ],
)
def test_a_wrong_command_line_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    # WHEN the command line is wrong
    with pytest.raises(SystemExit) as exited:
        main.parse(argv)
    # THEN it exits with status 2 and one line on standard error saying what is wrong, nothing on stdout
    assert exited.value.code == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    (error,) = printed.err.splitlines()
    assert line in error


@pytest.mark.parametrize("argv", [["--help"], ["invoke", "--help"], ["-c", "a=b", "deploy", "-h"]])
def test_help_exits_0(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    # WHEN help is asked, before or after a command
    with pytest.raises(SystemExit) as exited:
        main.parse(argv)
    # THEN it is printed on standard output, status 0
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m localcloud")


def test_the_readme_and_the_help_state_the_exit_statuses_the_parser_uses() -> None:
    # GIVEN the README's paragraph on errors, and the help's
    paragraph = section("### `python -m localcloud`").split("- Errors are one line", 1)[1].split("\n- ")[0]
    readme = " ".join(paragraph.split())
    help_text = " ".join((main.__doc__ or "").split())
    # THEN both give a wrong command line status 2 (the parser's) and a failed command status 1
    assert main.USAGE_ERROR == 2
    assert "A wrong command line" in readme and "exits with status 2" in readme
    assert "A command that cannot do what was asked exits with status 1" in readme
    assert "status 2 for a wrong command line, status 1 for a command that failed" in help_text
