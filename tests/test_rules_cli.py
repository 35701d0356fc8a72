"""`convoflow rules ...` as the ops team runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.cli_run import Run, piped_into_head, run_cli

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "rule_packs"
SAMPLES = PACKS / "samples" / "conversations.jsonl"


@pytest.fixture
def rules(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """`convoflow rules ...` run in this process from the repository root, as ops run it there."""
    monkeypatch.chdir(ROOT)
    outer_data_dir = os.environ.get("CONVOFLOW_DATA_DIR")

    def run(*args: str, data_dir: Path | None = None) -> Run:
        if data_dir is not None:
            monkeypatch.setenv("CONVOFLOW_DATA_DIR", str(data_dir))
        elif outer_data_dir is not None:
            monkeypatch.setenv("CONVOFLOW_DATA_DIR", outer_data_dir)
        else:
            monkeypatch.delenv("CONVOFLOW_DATA_DIR", raising=False)
        return run_cli(capsys, ["rules", *args])

    return run


def copy_default(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(PACKS / "default", target)
    return target


def test_validate_ok_and_broken(tmp_path: Path, rules: Callable[..., Run]) -> None:
    ok = rules("validate", "rule_packs/default")
    assert ok.returncode == 0 and "ok: 18 rules" in ok.stdout
    pack = copy_default(tmp_path)
    text = (pack / "pack.yaml").read_text()
    text = text.replace("route: billing", "route: bililng", 1).replace(
        '"var": "message.text"', '"var": "mesage.text"', 1
    )
    (pack / "pack.yaml").write_text(text)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "route: bililng" in t)
    broken = rules("validate", str(pack))
    assert broken.returncode == 2
    lines = broken.stderr.strip().splitlines()
    assert len(lines) == 2
    assert f'pack.yaml:{line}: rules[6].then[1].route: unknown team "bililng"' in lines[0]
    assert '.if.contains_any[0].var: "mesage.text" is not in the rule context' in lines[1]
    assert '(did you mean "message.text"?)' in lines[1]


def test_test_command_shows_expected_and_actual(tmp_path: Path, rules: Callable[..., Run]) -> None:
    passing = rules("test", "rule_packs/kundenservice")
    assert passing.returncode == 0 and passing.stdout.strip().endswith("28 passed, 0 failed")
    pack = copy_default(tmp_path)
    (pack / "tests.yaml").write_text(
        "- name: refunds go to general\n  event: conversation.created\n"
        "  context: {message: {text: 'refund please'}}\n  expect: {route: general}\n"
        # `route: null` passed whatever the route: null read as "not looked at"
        "- name: refunds are not routed\n  event: conversation.created\n"
        "  context: {message: {text: 'refund please'}}\n  expect: {route: null}\n"
        "- name: a thank-you routes nothing\n  event: message.received\n"
        "  context: {message: {text: 'thanks'}}\n  expect: {route: null}\n"
    )
    failing = rules("test", str(pack))
    assert failing.returncode == 1
    assert "FAIL  refunds go to general" in failing.stdout
    assert "route: expected general, got billing" in failing.stdout
    assert '"id":"intent-billing","outcome":"matched"' in failing.stdout  # the decision record
    assert "FAIL  refunds are not routed" in failing.stdout
    assert "route: expected no route, got billing" in failing.stdout
    assert failing.stdout.strip().endswith("1 passed, 2 failed")


def test_a_case_reads_business_hours_at_its_own_time(tmp_path: Path, rules: Callable[..., Run]) -> None:
    """A case on a Saturday night read `business_hours.open: true` (the context's default) and matched
    the default pack's open-hours acknowledgement, which live, on the London calendar, does not."""
    pack = copy_default(tmp_path)
    (pack / "tests.yaml").write_text(
        "- name: saturday night is answered as closed\n  event: conversation.created\n"
        "  context: {event: {time: '2026-01-10T03:00:00+00:00'}, message: {text: hello}}\n"
        "  expect: {not_matched: [acknowledge-open]}\n"
        "- name: a case that sets business hours keeps them\n  event: conversation.created\n"
        "  context: {event: {time: '2026-01-10T03:00:00+00:00'}, business_hours: {open: true},"
        " message: {text: hello}}\n"
        "  expect: {not_matched: [acknowledge-after-hours]}\n"
    )
    run = rules("test", str(pack))
    assert run.returncode == 0, run.stdout
    assert run.stdout.strip().endswith("2 passed, 0 failed")


def test_a_case_without_a_time_is_a_monday_morning_on_the_pack_s_calendar(
    tmp_path: Path, rules: Callable[..., Run]
) -> None:
    """The default time was 10:00 UTC: 05:00 in New York, so a New York pack's open-hours case failed."""
    pack = tmp_path / "ny"
    pack.mkdir()
    (pack / "pack.yaml").write_text(
        "meta: {name: ny, language: en}\n"
        "calendars: {ny: {timezone: America/New_York, hours: {mon: [['09:00', '17:00']]}}}\n"
        "rules:\n  - id: open-hours\n    on: [conversation.created]\n"
        "    if: {var: business_hours.open}\n    then: [{add_tags: [open]}]\n"
        "tests:\n  - name: a monday morning\n    event: conversation.created\n"
        "    expect: {matched: [open-hours]}\n"
    )
    run = rules("test", str(pack))
    assert run.returncode == 0 and run.stdout.strip().endswith("1 passed, 0 failed"), run.stdout


def test_test_command_on_a_pack_without_test_cases_says_so(tmp_path: Path, rules: Callable[..., Run]) -> None:
    pack = copy_default(tmp_path)
    (pack / "tests.yaml").unlink()
    run = rules("test", str(pack))
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.strip() == (
        f"{pack}: no test cases to run; add them in tests.yaml beside pack.yaml or under `tests:` in the pack"
    )


def test_simulate_into_a_pipe_closed_early_exits_quietly(tmp_path: Path) -> None:
    """`convoflow rules simulate ... | head -1`: no traceback, and the exit status a shell gives
    `cat` killed by SIGPIPE (128 + 13), so `set -o pipefail` scripts still see the output was cut."""
    conversations = tmp_path / "many.jsonl"
    lines = SAMPLES.read_text().splitlines()
    conversations.write_text(  # several times a pipe's buffer: the writer must meet the closed end
        "".join(f"{line.replace('sample-', f'copy{n}-', 1)}\n" for n in range(5) for line in lines)
    )
    command = ["rules", "simulate", "rule_packs/default", "--conversations", str(conversations)]
    run = piped_into_head(command, cwd=ROOT)
    assert run.stdout.startswith("copy0-1  conversation.created:"), run.stdout
    assert (run.returncode, run.stderr) == (141, "")


def test_simulate_prints_totals(rules: Callable[..., Run]) -> None:
    run = rules("simulate", "rule_packs/kundenservice", "--conversations", str(SAMPLES))
    assert run.returncode == 0, run.stderr
    assert "300 conversations" in run.stdout
    routed = next(line for line in run.stdout.splitlines() if line.strip().startswith("routed:"))
    assert "kundenservice" in routed and "kundensupport" in routed and "spezialisten" in routed
    assert "rule errors 0" in run.stdout


def test_simulate_and_diff_name_a_context_field_the_rules_cannot_read(
    tmp_path: Path, rules: Callable[..., Run]
) -> None:
    """A conversations file with one mistyped or wrongly typed field crashed `simulate` and `diff`
    with a pydantic traceback; a test case's context names the same mistakes by path."""
    damaged = {
        "id": "x-1",
        "events": [{"event": "conversation.created", "context": {"message": {"txt": "x"}}}],
    }
    late = {
        "id": "x-2",
        "events": [
            {"event": "conversation.created", "context": {"message": {"text": "hi"}}},
            {"event": "message.received", "context": {"conversation": {"channel": "mail"}}},
        ],
    }
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(late) + "\n" + json.dumps(damaged) + "\n")
    simulated = rules("simulate", "rule_packs/default", "--conversations", str(bad))
    assert simulated.returncode == 2 and "Traceback" not in simulated.stderr, simulated.stderr
    assert simulated.stderr.strip() == (
        f'{bad}:1: events[1].context.conversation.channel: conversation.channel is never "mail" (did you '
        'mean "email"?): it is one of email, chat, whatsapp, sms, social'
    )
    bad.write_text(json.dumps(damaged) + "\n")
    diffed = rules("diff", "rule_packs/default", "rule_packs/default", "--conversations", str(bad))
    assert diffed.returncode == 2, diffed.stderr
    assert (
        diffed.stderr.strip()
        == f'{bad}:1: events[0].context.message.txt: unknown field (did you mean "text"?)'
    )


def test_diff_shows_what_publishing_would_change(tmp_path: Path, rules: Callable[..., Run]) -> None:
    pack = copy_default(tmp_path)
    text = (pack / "pack.yaml").read_text()
    (pack / "pack.yaml").write_text(text.replace('"billing", "payment"', '"billing", "payment", "ship"'))
    same = rules("diff", "rule_packs/default", "rule_packs/default", "--conversations", str(SAMPLES))
    assert same.returncode == 0 and "0 of 300 conversations would change" in same.stdout
    changed = rules("diff", "rule_packs/default", str(pack), "--conversations", str(SAMPLES))
    assert changed.returncode == 1
    assert 'route("billing")' in changed.stdout
    summary = changed.stdout.strip().splitlines()[-1]
    assert summary.endswith("of 300 conversations would change (" + summary.split("(")[1])
    assert not summary.startswith("0 of")


def test_publish_and_list(
    tmp_path: Path, rules: Callable[..., Run], capsys: pytest.CaptureFixture[str]
) -> None:
    """Versions go to the database, per tenant (`dev`, `make run`'s, unless --tenant says otherwise)."""
    data = tmp_path / "data"
    assert "no published rule packs" in rules("list", data_dir=data).stdout
    first = rules("publish", "rule_packs/default", data_dir=data)
    assert first.returncode == 0, first.stderr
    digest = first.stdout.split(" as ")[1].split(";")[0]
    second = rules("publish", "rule_packs/kundenservice", data_dir=data)
    listed = rules("list", data_dir=data).stdout.splitlines()
    assert listed[0].startswith(f"  {digest}  default 1.0")
    assert " by cli:" in listed[0]
    assert listed[1].startswith("* ") and "kundenservice" in listed[1]
    assert second.returncode == 0
    assert not (data / "rule_packs").exists()  # nothing in files: every host reads the database
    # Publishing the same content again re-activates it; it is not a second version.
    assert rules("publish", "rule_packs/default", data_dir=data).returncode == 0
    again = rules("list", data_dir=data).stdout.splitlines()
    assert len(again) == 2 and again[0].startswith(f"* {digest}")
    # Another tenant has its own versions; a tenant nobody created (a typo) is refused: its pack
    # was published and made active for conversations nobody would ever start.
    typo = rules("publish", "rule_packs/kundenservice", "--tenant", "acme", data_dir=data)
    assert typo.returncode == 2 and "no tenant 'acme'" in typo.stderr
    assert run_cli(capsys, ["tenant", "create", "acme"]).returncode == 0
    other = rules("publish", "rule_packs/kundenservice", "--tenant", "acme", data_dir=data)
    assert "tenant acme" in other.stdout
    assert len(rules("list", "--tenant", "acme", data_dir=data).stdout.splitlines()) == 1
    assert len(rules("list", data_dir=data).stdout.splitlines()) == 2
    # A published version can be diffed by its hash.
    by_hash = rules("diff", digest, "rule_packs/default", "--conversations", str(SAMPLES), data_dir=data)
    assert "0 of 300 conversations would change" in by_hash.stdout
    # ... and by its first digits, as git takes a commit's (`rules proposals` shows 12): they were
    # "no such file or folder". A prefix two hashes share asks for more.
    short = rules("publish", digest[:12], data_dir=data)
    assert short.returncode == 0 and f"as {digest};" in short.stdout, short.stderr
    assert rules("list", data_dir=data).stdout.splitlines()[0].startswith(f"* {digest}")
    # `list` shows each version's latest activation only; `history` every one, oldest first (the
    # first activation of `default`, rolled back to twice since, was readable nowhere).
    history = rules("history", data_dir=data).stdout.splitlines()
    assert [line.split()[3] for line in history] == ["default", "kundenservice", "default", "default"]
    assert all(line.split()[1] == "publish" and " by cli:" in line for line in history), history
    unknown = rules("validate", "0000000", data_dir=data)
    assert (unknown.returncode, unknown.stderr.strip()) == (
        2,
        "0000000: no published pack with that hash",
    )


def test_publish_refuses_a_pack_whose_tests_fail(tmp_path: Path, rules: Callable[..., Run]) -> None:
    pack = copy_default(tmp_path)
    (pack / "tests.yaml").write_text(
        "- name: wrong\n  event: conversation.created\n  context: {}\n  expect: {route: billing}\n"
    )
    run = rules("publish", str(pack), data_dir=tmp_path / "data")
    assert run.returncode == 1 and "not published" in run.stderr
    assert "no published rule packs" in rules("list", data_dir=tmp_path / "data").stdout


def test_a_pack_without_tests_is_not_published_and_a_rollback_reruns_the_version_s_tests(
    tmp_path: Path, rules: Callable[..., Run]
) -> None:
    """A rollback by hash republished the stored content, which holds no test: a pack whose own tests
    failed went live through `--shadow` and its hash; deleting tests.yaml was enough to publish."""
    data = tmp_path / "data"
    pack = copy_default(tmp_path)
    (pack / "tests.yaml").unlink()
    untested = rules("publish", str(pack), data_dir=data)
    assert untested.returncode == 1 and "has no test cases" in untested.stderr, untested.stderr
    (pack / "tests.yaml").write_text(
        "- name: wrong\n  event: conversation.created\n  context: {}\n  expect: {route: billing}\n"
    )
    shadowed = rules("publish", str(pack), "--shadow", data_dir=data)  # allowed: promotion tests it
    assert shadowed.returncode == 0, shadowed.stderr
    digest = shadowed.stdout.split("shadow pack ")[1].split(":")[0]
    back = rules("publish", digest[:10], data_dir=data)
    assert back.returncode == 1 and "1 test case(s) fail" in back.stderr, (back.stdout, back.stderr)
    assert not any(line.startswith("*") for line in rules("list", data_dir=data).stdout.splitlines())
    tested = rules("test", digest[:10], data_dir=data)  # its kept tests, as published
    assert tested.returncode == 1 and "FAIL  wrong" in tested.stdout
    # Another tenant's rollback to that hash gets none of them (they were the first tenant's).
    elsewhere = rules("publish", digest[:10], "--tenant", "acme", data_dir=data)
    assert elsewhere.returncode == 1 and "keeps no test cases" in elsewhere.stderr, elsewhere.stderr
    # ... said as what it most likely is: not one of acme's versions (not "published before ...")
    assert "for tenant acme: it is not one of its versions" in elsewhere.stderr, elsewhere.stderr


def test_a_version_s_tests_coverage_and_check_by_hash_are_the_tenant_s_own(
    tmp_path: Path,
    rules: Callable[..., Run],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`rules coverage <hash> --tenant acme` ran the cases globex published the same content with (a
    case named for globex showed in acme's report); `rules test <hash>` had no --tenant; `rules check
    <hash>` said "no such file or folder"; `--tenant acmee` (a typo) read an empty roster ("acmee has
    no agents") and no traffic ("never fired")."""
    data = tmp_path / "data"
    monkeypatch.setenv("CONVOFLOW_DATA_DIR", str(data))
    for tenant in ("acme", "globex"):
        assert run_cli(capsys, ["tenant", "create", tenant]).returncode == 0
    pack = copy_default(tmp_path)
    case = (
        "- name: {name}\n  event: conversation.created\n"
        "  context: {{message: {{text: hello}}}}\n  expect: {{route: general}}\n"
    )
    (pack / "tests.yaml").write_text(case.format(name="acme's case"))
    assert rules("publish", str(pack), "--tenant", "acme", data_dir=data).returncode == 0
    (pack / "tests.yaml").write_text(case.format(name="acme's case") + case.format(name="globex only"))
    published = rules("publish", str(pack), "--tenant", "globex", data_dir=data)
    assert published.returncode == 0, published.stderr
    digest = published.stdout.split(" as ")[1].split(";")[0]

    tested = rules("test", digest[:12], "--tenant", "acme", data_dir=data)
    assert tested.returncode == 0 and "globex only" not in tested.stdout, tested.stdout
    assert tested.stdout.strip().endswith("1 passed, 0 failed")
    # (`rules coverage <hash> --tenant` reads the version as `rules test` does, then the tenant's traffic)
    checked = rules("check", digest[:12], "--tenant", "acme", "--format", "json", data_dir=data)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["errors"] == 0
    elsewhere = rules("check", digest[:12], "--tenant", "dev", data_dir=data)
    assert elsewhere.returncode == 2 and "no version of tenant dev has this hash" in elsewhere.stderr
    for command in ("check", "test"):  # coverage's: tests/test_rules_coverage_service.py
        typo = rules(command, str(pack), "--tenant", "acmee", data_dir=data)
        assert typo.returncode == 2, (command, typo.stdout)
        assert typo.stderr.strip() == "no tenant 'acmee': create it with `convoflow tenant create`", (
            typo.stderr
        )
    # A pack's files are checked without the database, the roster said not checked (as before)
    monkeypatch.setenv("CONVOFLOW_DATABASE_URL", "postgresql://u:p@127.0.0.1:1/none")
    offline = rules("check", str(pack), "--tenant", "acme", "--format", "json", data_dir=data)
    assert offline.returncode == 0, offline.stderr
    assert json.loads(offline.stdout)["findings"][-1]["code"] == "roster-not-checked"


def test_a_folder_s_pack_yaml_is_read_with_its_tests(tmp_path: Path, rules: Callable[..., Run]) -> None:
    """`rules test work/returns/pack.yaml` said "no test cases to run; add them in tests.yaml beside
    pack.yaml", where they were; `publish` refused it as untested."""
    pack = copy_default(tmp_path)
    run = rules("test", str(pack / "pack.yaml"))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith(
        f"{len(yaml.safe_load((pack / 'tests.yaml').read_text()))} passed, 0 failed"
    )


def test_rules_list_shows_a_rollback_as_the_version_s_latest_activation(
    tmp_path: Path, rules: Callable[..., Run]
) -> None:
    """After a rollback by hash, `rules list` showed the version's first publication only: who made
    it live again, and when, was in `rules history` alone (README: "its latest activation")."""
    data = tmp_path / "data"
    pack = copy_default(tmp_path)
    first = rules("publish", str(pack), data_dir=data)
    assert first.returncode == 0, first.stderr
    (pack / "pack.yaml").write_text(
        (pack / "pack.yaml").read_text().replace('version: "1.0"', 'version: "1.1"')
    )
    assert rules("publish", str(pack), data_dir=data).returncode == 0
    listed = rules("list", data_dir=data).stdout.splitlines()
    old_line = next(line for line in listed if " 1.0 " in line)
    assert "; activated by" not in old_line  # its publication was its activation: said once
    digest = old_line.split()[0]
    back = rules("publish", digest[:10], data_dir=data)
    assert back.returncode == 0, back.stderr
    rolled = next(line for line in rules("list", data_dir=data).stdout.splitlines() if " 1.0 " in line)
    assert rolled.startswith(f"* {digest}")
    assert re.search(r"published \S+ by cli:\S+; activated by cli:\S+ at \S+$", rolled), rolled


def test_a_hash_cut_too_short_says_how_long_one_is(rules: Callable[..., Run]) -> None:
    """`rules publish 19d03c` answered "no such file or folder", nothing more."""
    run = rules("test", "19d03c")
    assert run.returncode == 2
    assert run.stderr.strip().endswith(
        "19d03c: no such file or folder (a version's hash is written with 7 or more of its digits)"
    ), run.stderr


def test_bad_conversations_file_names_the_line(tmp_path: Path, rules: Callable[..., Run]) -> None:
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"id": "a", "events": []}\n{"id": "b", "events": [{"event": "nope"}]}\n')
    run = rules("simulate", "rule_packs/default", "--conversations", str(bad))
    assert run.returncode == 2
    assert f"{bad}:2: events[0].event: Input should be" in run.stderr


def test_python_m_engine_cli_runs_a_command_end_to_end(tmp_path: Path) -> None:
    """The real entry point in its own process: the command's output and its exit code."""
    pack = copy_default(tmp_path)
    (pack / "tests.yaml").write_text(
        "- name: refunds go to general\n  event: conversation.created\n"
        "  context: {message: {text: 'refund please'}}\n  expect: {route: general}\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "engine.cli", "rules", "test", str(pack)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 1, run.stderr
    assert "FAIL  refunds go to general" in run.stdout
    assert run.stdout.strip().endswith("0 passed, 1 failed")


def test_context_reference_is_up_to_date() -> None:
    from engine.rules.context import render_reference

    committed = (ROOT / "docs" / "rule-context.md").read_text()
    assert committed == render_reference(), "run: convoflow rules context-doc --output docs/rule-context.md"


def test_the_readme_s_first_rule_passes_its_test_where_the_readme_puts_it(
    rules: Callable[..., Run], tmp_path: Path
) -> None:
    """README's "Write your first rule", followed as written: placed where it said (before
    `tag-billing`), the rule came after a `stop` rule that catches billing questions, and its own
    test case failed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Write your first rule", 1)[1]
    anchor = re.search(r"`rule_packs/default/pack.yaml`, before `([\w-]+)`", section)
    assert anchor is not None, "the README no longer says where the rule goes"
    rule, case = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)[:2]
    pack = copy_default(tmp_path)
    text = (pack / "pack.yaml").read_text(encoding="utf-8")
    before = f"  - id: {anchor.group(1)}\n"
    assert before in text
    (pack / "pack.yaml").write_text(text.replace(before, rule + before, 1), encoding="utf-8")
    with (pack / "tests.yaml").open("a", encoding="utf-8") as cases:
        cases.write(case)
    run = rules("test", str(pack))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout and " 0 failed" in run.stdout


def test_rules_list_says_a_version_s_publication_once_the_shipped_pack_s_too() -> None:
    """`make run`'s shipped pack read "published ... by shipped; activated by shipped at <the same
    instant>": its publication and its activation are one."""
    from engine.cli.rules_history import _activation
    from engine.db.packs import PublishedVersion

    at = "2026-12-07T03:17:30+00:00"
    shipped = PublishedVersion(
        hash="ddd2ba1",
        name="default",
        version="1.0",
        published_by="shipped",
        published_at=at,
        source=None,
        active=True,
        activations=1,
        activated_by="shipped",
        activated_at=at,
        activated_via="shipped",
    )
    assert _activation(shipped) == ""
    rolled_back = PublishedVersion(**{**shipped.__dict__, "activations": 2, "activated_by": "cli:root"})
    assert _activation(rolled_back) == f"; activated by cli:root at {at}"
