"""`convoflow rules validate` catches every mistake before publishing, each with path and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.rules.actions.kinds import AddTags
from engine.rules.loader import PackLoadError
from engine.rules.pack import RulePack
from engine.rules.validation import validate
from engine.service.pack_files import load_source

GOOD_HEADER = """\
meta: {name: test, language: en}
calendars:
  office: {timezone: Europe/Berlin, hours: {mon: [["09:00", "17:00"]]}}
sla_policies:
  standard: {calendar: office, first_response_minutes: 60}
teams:
  billing: {calendar: office}
templates:
  ack: {en: "Hi {customer.first_name}"}
"""


def problems_of(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "pack.yaml"
    path.write_text(GOOD_HEADER + textwrap.dedent(body))
    _, problems = validate(load_source(path))
    return [str(p).removeprefix(f"{path}:") for p in problems]


def test_a_clean_pack_has_no_problems(tmp_path: Path) -> None:
    assert (
        problems_of(
            tmp_path,
            """
        rules:
          - id: ack
            on: [conversation.created]
            if: {"contains_any": [{"var": "message.text"}, ["invoice"]]}
            then: [{reply: {template: ack}}, {route: billing}, {apply_sla: standard}]
          - id: items
            on: [message.received]
            if:
              and:
                - {"some": [{"var": "message.attachments"}, {">": [{"var": "size"}, 1000]}]}
                - {"all": [{"var": "conversation.tags"}, {"!=": [{"var": ""}, "spam"]}]}
                - {"some": [{"var": "customer.custom.orders"}, {"==": [{"var": "state"}, "late"]}]}
            then: [{add_tags: [big]}]
        """,
        )
        == []
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # unknown operator, with a suggestion, located inside the condition
        (
            """
        rules:
          - id: r
            on: [message.received]
            if: {"and": [true, {"contians_any": [{"var": "message.text"}, ["x"]]}]}
        """,
            'rules[0].if.and[1]: unknown operator "contians_any" (did you mean "contains_any"?)',
        ),
        # another language's habits and a misspelt field: closer in meaning than in spelling
        (
            """
        rules:
          - id: r
            on: [message.received]
            if: {"=": [{"var": "event.chanel"}, "email"]}
        """,
            'rules[0].if: unknown operator "=" (did you mean "=="?)',
        ),
        (
            """
        rules:
          - id: r
            on: [message.received]
            if: {"==": [{"var": "event.chanel"}, "email"]}
        """,
            '"event.chanel" is not in the rule context (did you mean "conversation.channel"?)',
        ),
        (
            """
        rules:
          - {id: real, on: [message.received]}
        tests:
          - name: t
            event: message.recieved
            expect: {rout: billing}
        """,
            'tests[0].event: unknown value "message.recieved" (did you mean "message.received"?)',
        ),
        (
            """
        rules:
          - {id: real, on: [message.received]}
        tests:
          - name: t
            event: message.received
            expect: {rout: billing}
        """,
            'tests[0].expect.rout: unknown field (did you mean "route"?)',
        ),
        # a field misspelt anywhere in the pack, not only in rules and tests: said with its twin
        (
            """
        settings: {survey_delay_minute: 30}
        rules:
          - {id: real, on: [message.received], then: [{add_tags: [x]}]}
        """,
            'settings.survey_delay_minute: unknown field (did you mean "survey_delay_minutes"?)',
        ),
        # wrong argument count
        (
            """
        rules:
          - id: r
            on: [message.received]
            if: {"==": [1]}
        """,
            "rules[0].if: `==` takes at least 2 arguments",
        ),
        (
            """
        rules:
          - id: r
            on: [message.received]
            if: {"matches": [{"var": "message.text"}]}
        """,
            "rules[0].if.matches: matches takes 2 arguments, not 1",
        ),
        # JsonLogic would chain a third `==` (never true here) and ignore what is past `in`'s second
        (
            """
        rules:
          - id: r
            on: [message.received]
            if: {"==": [{"var": "conversation.channel"}, "email", "chat"]}
        """,
            "rules[0].if.==: == takes 2 arguments, not 3",
        ),
        (
            """
        rules:
          - id: r
            on: [message.received]
            if: {"!": [{"in": [{"var": "customer.tier"}]}]}
        """,
            "rules[0].if.![0].in: in takes 2 arguments, not 1",
        ),
        (
            """
        rules:
          - id: r
            on: [message.received]
            if: {"<": [1, {"var": "message.sentiment"}, 2, 3]}
        """,
            "rules[0].if.<: < takes 2 or 3 arguments, not 4",
        ),
        # a condition written as text is not parsed: JSON-logic would take it as a value, always true
        (
            """
        rules:
          - id: r
            on: [message.received]
            if: "customer.tier == 'vip'"
            then: [{add_tags: [vip]}]
        """,
            'rules[0].if: text is not read as a condition: write a JSON-logic operation, such as {"==": '
            '[{"var": "customer.tier"}, "vip"]}, or true / false',
        ),
        # a var path the context does not have
        (
            """
        rules:
          - id: r
            on: [message.received]
            if: {"in": ["refund", {"var": "mesage.text"}]}
        """,
            'rules[0].if.in[1].var: "mesage.text" is not in the rule context (did you mean "message.text"?)',
        ),
        # unknown references
        (
            """
        rules:
          - id: r
            on: [message.received]
            then: [{reply: {template: ackk}}]
        """,
            'rules[0].then[0].reply.template: unknown template "ackk" (did you mean "ack"?)',
        ),
        (
            """
        rules:
          - id: r
            on: [message.received]
            then: [{route: biling}]
        """,
            'rules[0].then[0].route: unknown team "biling" (did you mean "billing"?)',
        ),
        (
            """
        rules:
          - id: r
            on: [message.received]
            then: [{apply_sla: gold}]
        """,
            'rules[0].then[0].apply_sla: unknown SLA policy "gold"',
        ),
        (
            """
        rules:
          - id: r
            on: [message.received]
            then: [{add_tag: [x]}]
        """,
            'rules[0].then[0]: unknown action "add_tag" (did you mean "add_tags"?)',
        ),
        (
            """
        rules:
          - id: r
            on: [message.recieved]
        """,
            'rules[0].on[0]: unknown value "message.recieved" (did you mean "message.received"?): '
            "Input should be",
        ),
        # duplicate ids
        (
            """
        rules:
          - {id: same, on: [message.received]}
          - {id: same, on: [message.sent]}
        """,
            'rules[1].id: duplicate rule id "same" (also rules[0])',
        ),
        # a rule that re-triggers itself
        (
            """
        rules:
          - id: loop
            on: [status.changed]
            then: [{set_status: open}]
        """,
            "rules[0].then[0]: raises status.changed, which triggers this rule again: "
            "add a condition on conversation.status",
        ),
        # too deep
        (
            """
        rules:
          - id: deep
            on: [message.received]
            if: """
            + '{"!": ' * 70
            + "true"
            + "}" * 70
            + """
        """,
            "rules[0].if: nested deeper than 64 levels",
        ),
        # bad regex
        (
            """
        rules:
          - id: re
            on: [message.received]
            if: {"matches": [{"var": "message.text"}, "(unclosed"]}
        """,
            "rules[0].if.matches[1]: bad pattern",
        ),
        # test case naming a rule that does not exist
        (
            """
        rules:
          - {id: real, on: [message.received]}
        tests:
          - name: t
            event: message.received
            expect: {matched: [reel]}
        """,
            'tests[0].expect.matched[0]: unknown rule id "reel" (did you mean "real"?)',
        ),
        # a field of each item, mistyped inside `some`: validated, and the rule never matched
        (
            """\
        rules:
          - id: png
            on: [message.received]
            if: {"some": [{"var": "message.attachments"}, {"==": [{"var": "contnt_type"}, "image/png"]}]}
            then: [{add_tags: [image]}]
        """,
            'rules[0].if.some[1].==[0].var: "contnt_type" is not a field of the items of message.attachments '
            '(one of content_type, name, size) (did you mean "content_type"?)',
        ),
        # a case that expects nothing passed whatever the rules did, and covered every rule it matched
        (
            """\
        rules:
          - {id: real, on: [message.received]}
        tests:
          - name: t
            event: message.received
            expect: {}
        """,
            "tests[0].expect: expects nothing, so the case passes whatever the rules decide",
        ),
        # `tags: null` read as "not looked at": the case asserted nothing there
        (
            """\
        rules:
          - {id: real, on: [message.received]}
        tests:
          - name: t
            event: message.received
            expect: {matched: [real], tags: null}
        """,
            "tests[0].expect.tags: null tests nothing here: write [] for none, or leave it out",
        ),
        # a case's expectations and context are checked as a rule is: each failed, or ran on a
        # context live never has, without a word
        (
            """
        rules:
          - {id: real, on: [message.received]}
        tests:
          - name: t
            event: message.received
            expect: {priority: hihg}
        """,
            'tests[0].expect.priority: unknown priority "hihg" (did you mean "high"?)',
        ),
        (
            """
        rules:
          - {id: real, on: [message.received]}
        tests:
          - name: t
            event: message.received
            expect: {actions: [{type: rout, value: billing}]}
        """,
            'tests[0].expect.actions[0].type: unknown action type "rout" (did you mean "route"?)',
        ),
        (
            """
        rules:
          - {id: real, on: [message.received]}
        tests:
          - name: t
            event: message.received
            context: {conversation: {channel: mail}}
            expect: {matched: [real]}
        """,
            'tests[0].context.conversation.channel: conversation.channel is never "mail" (did you mean '
            '"email"?): it is one of email, chat, whatsapp, sms, social',
        ),
        (
            """
        rules: []
        tests:
          - name: t
            event: message.received
            context: {message: {txt: hi}}
            expect: {}
        """,
            'tests[0].context.message.txt: unknown field (did you mean "text"?)',
        ),
        (
            """
        rules: []
        tests:
          - name: t
            event: message.received
            context: {custmer: {tier: pro}}
            expect: {}
        """,
            'tests[0].context.custmer: unknown field (did you mean "customer"?)',
        ),
        (  # no policy has escalations: the action ran nothing and reported done
            """
        rules:
          - {id: up, on: [message.received], then: [{escalate: {level: 3}}]}
        """,
            "rules[0].then[0].escalate.level: no SLA policy defines escalation level 3",
        ),
        (  # skipped when due ("no `survey` template"), after a clean validate
            """
        rules:
          - {id: ask, on: [status.changed], then: [{schedule_survey: {delay_minutes: 0}}]}
        """,
            "rules[0].then[0].schedule_survey: no `survey` template to send: add templates.survey",
        ),
        (  # read in no zone: business hours were not computed, and read open on a Sunday at 03:00
            """
        rules: []
        tests:
          - name: t
            event: conversation.created
            context: {event: {time: "2026-12-06T03:00:00"}}
            expect: {}
        """,
            'tests[0].context.event.time: "2026-12-06T03:00:00" needs a UTC offset (e.g. '
            "2026-12-06T03:00:00+01:00): business hours are read at it",
        ),
        (
            """
        settings: {auto_close_idle_minutes: 1e12}
        rules: []
        """,
            "settings.auto_close_idle_minutes: Input should be less than or equal to 5270400",
        ),
        (
            """
        rules:
          - id: nap
            on: [message.received]
            then: [{snooze: 99999999999}]
        """,
            "rules[0].then[0].snooze",
        ),
        (
            """
        rules:
          - id: german
            on: [conversation.created]
            then: [{route: billing}, {assign: {strategy: skills, skills: ["lang:de"]}}]
        """,
            "rules[0].then[1].assign.skills[0]: unknown skill 'lang:de': no team declares it",
        ),
        (
            """
        rules:
          - id: tell
            on: [conversation.created]
            then: [{notify: {team: billing, message: "new from {customer.frist_name}"}}]
        """,
            'rules[0].then[0].notify.message: placeholder "{customer.frist_name}" is not in the rule context',
        ),
        # a CRM note and a CRM value are filled as a notify message is: checked the same way
        (
            """
        rules:
          - id: note
            on: [conversation.created]
            then: [{add_note: {text: "VIP {customer.frist_name}"}}]
        """,
            'rules[0].then[0].add_note.text: placeholder "{customer.frist_name}" is not in the rule context',
        ),
        (
            """
        rules:
          - id: field
            on: [conversation.created]
            then:
              - update_crm: {field: topic, value: "{mesage.text}"}
              - update_crm: {field: raw, value: '{"a": 1'}
        """,
            # a dotted name is a placeholder; other braces (JSON text, even cut short) are the value's
            'rules[0].then[0].update_crm.value: placeholder "{mesage.text}" is not in the rule context',
        ),
    ],
)
def test_each_mistake_is_reported_with_its_path(tmp_path: Path, body: str, expected: str) -> None:
    found = problems_of(tmp_path, body)
    assert any(expected in line for line in found), found


def test_a_misspelt_required_field_is_one_mistake_not_two(tmp_path: Path) -> None:
    """`expcet:` was reported twice: as an unknown field and as `expect` missing. A field that is
    missing and misspelt nowhere beside it is still reported."""
    found = problems_of(
        tmp_path,
        """
        rules: []
        tests:
          - {name: typo, event: message.received, expcet: {}}
          - {name: none, event: message.received}
        """,
    )
    assert [line.split(": ", 1)[1] for line in found] == [
        'tests[0].expcet: unknown field (did you mean "expect"?)',
        "tests[1].expect: Field required",
    ]


def test_an_unknown_assignment_strategy_is_named(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    team = "billing: {calendar: office, assignment: {strategy: fastest}}"
    path.write_text(GOOD_HEADER.replace("billing: {calendar: office}", team) + "rules: []\n")
    _, problems = validate(load_source(path))
    expected = (
        "teams.billing.assignment.strategy: Input should be 'round_robin', 'least_loaded', 'most_spare'"
    )
    assert any(expected in str(p) for p in problems), problems


def test_problems_carry_the_yaml_line(tmp_path: Path) -> None:
    found = problems_of(
        tmp_path,
        """
        rules:
          - id: ok
            on: [message.received]
          - id: bad
            on: [message.received]
            then:
              - route: nowhere
        """,
    )
    header_lines = GOOD_HEADER.count("\n")
    assert found == [f'{header_lines + 8}: rules[1].then[0].route: unknown team "nowhere"']


def test_references_in_policies_templates_and_calendars(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(
        textwrap.dedent("""\
        meta: {name: t, language: de}
        calendars:
          office: {timezone: Europe/Berlin, hours: {mon: [["09:00", "17:00"], ["16:00", "18:00"]]}}
          never: {timezone: UTC, hours: {}}
        sla_policies:
          standard: {calendar: offce, first_response_minutes: 60, pause_on: [pendng]}
        templates:
          ack: {en: "Hi {customer.frist_name}"}
        rules: []
        """)
    )
    found = {p.path: p.message for p in validate(load_source(path))[1]}
    assert found["calendars.office.hours.mon[1]"] == "overlaps another range of the same day"
    # Published, a clock on it froze its conversation: its deadline was sought without end, every
    # later message answered 503 (and as the business-hours calendar, every decision failed).
    assert found["calendars.never.hours"] == "open on no day: give it opening hours"
    assert found["sla_policies.standard.calendar"].startswith('unknown calendar "offce"')
    assert found["sla_policies.standard.pause_on[0]"].startswith('unknown status "pendng"')
    assert found["templates.ack"] == 'has no text in the pack language "de"'
    assert 'placeholder "{customer.frist_name}"' in found["templates.ack.en"]


def test_a_team_name_longer_than_the_api_takes_is_refused(tmp_path: Path) -> None:
    """A 3,000-character team (an explicit YAML key) was published, and every conversation routed to
    it stopped: Temporal refuses a search attribute value over 2 KB."""
    long = "t" * 3000
    path = tmp_path / "pack.yaml"
    path.write_text(
        f"meta: {{name: t}}\nteams:\n  ? {long}\n  : {{}}\n  {'b' * 64}: {{}}\n"
        f"rules:\n  - {{id: r, on: [message.received], then: [{{route: {long}}}]}}\n"
    )
    found = {p.path: p.message for p in validate(load_source(path))[1]}
    assert found == {f"teams.{'t' * 64}...": "a team name has at most 64 characters (3000 here)"}


def test_templates_a_conversation_could_not_record_are_refused(tmp_path: Path) -> None:
    """600 KB of text aliased into five templates is 3 MB once expanded: every conversation records
    its pack's templates, and Temporal refuses more than 2 MB (the conversation's task failed)."""
    text = "".join(f"{i:07d} " for i in range(75_000))  # digits: deflating gains little
    path = tmp_path / "pack.yaml"
    aliases = "".join(f"  t{i}: {{en: *t}}\n" for i in range(1, 5))
    path.write_text(
        f'meta: {{name: t}}\ntemplates:\n  t0: {{en: &t "{text}"}}\n{aliases}'
        "rules:\n  - {id: r, on: [message.received], then: [{add_tags: [x]}]}\n"
    )
    assert path.stat().st_size < 1_000_000
    problems = validate(load_source(path))[1]
    assert [(p.path, p.message.split(" take ")[0]) for p in problems] == [
        ("", "templates, calendars, SLA policies, teams and settings")
    ]
    assert "take 3,000,420 bytes" in problems[0].message and "at most 1,500,000" in problems[0].message


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text("meta: {name: t}\nrules:\n  - id: r\n    on: [message.received\n    then: []\n")
    with pytest.raises(PackLoadError) as err:
        load_source(path)
    assert err.value.problems[0].line == 5
    assert "not valid YAML" in str(err.value)


def test_yaml_12_scalars_on_is_a_key_and_times_are_strings(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(
        textwrap.dedent("""\
        meta: {name: t}
        calendars:
          office: {timezone: UTC, hours: {mon: [[09:00, 17:00]]}}
        rules:
          - id: r
            on: [message.received]
        """)
    )
    pack, problems = validate(load_source(path))
    assert problems == []
    assert pack.rules[0].on[0].value == "message.received"


def test_oversized_packs_are_refused(tmp_path: Path) -> None:
    many = tmp_path / "many.yaml"
    many.write_text(
        "meta: {name: t}\nrules:\n"
        + "".join(f"  - {{id: r{i}, on: [message.received]}}\n" for i in range(2001))
    )
    _, problems = validate(load_source(many))
    assert [str(p.message) for p in problems] == ["2001 rules: a pack holds at most 2000"]
    huge = tmp_path / "huge.yaml"
    huge.write_text("meta: {name: t}\n# " + "x" * (3 * 1024 * 1024) + "\n")
    with pytest.raises(PackLoadError) as err:
        load_source(huge)
    assert "larger than" in str(err.value)


def test_team_and_tag_names_a_list_query_can_hold(tmp_path: Path) -> None:
    # A quote in a team or tag name ends the string of Temporal's list query: the list could never
    # be filtered by it while the KPIs could (one rule for both now).
    path = tmp_path / "pack.yaml"
    teams = 'billing: {calendar: office}\n  "Bob\'s team": {calendar: office}'
    path.write_text(GOOD_HEADER.replace("billing: {calendar: office}", teams) + "rules: []\n")
    found = [f"{p.path}: {p.message}" for p in validate(load_source(path))[1]]
    assert found == ["teams.Bob's team: a team name is one line without quotes or backslashes"], found
    rules = 'rules:\n  - id: tag\n    on: [conversation.created]\n    then: [{add_tags: ["a\\\\b"]}]\n'
    path.write_text(GOOD_HEADER + rules)
    found = [f"{p.path}: {p.message}" for p in validate(load_source(path))[1]]
    assert (
        len(found) == 1
        and found[0].startswith("rules[0].then[0].add_tags[0]")
        and "without quotes" in found[0]
    )


def test_a_tag_with_a_placeholder_is_an_error_not_a_literal_tag(tmp_path: Path) -> None:
    """`add_tags: ["{message.language}"]` tagged conversations "{message.language}": tags fill no
    placeholders (notify and add_note do), and nothing said so."""
    path = tmp_path / "pack.yaml"
    rule = '  - id: tag\n    on: [conversation.created]\n    then: [{add_tags: ["{message.language}"]}]\n'
    rules = "rules:\n" + rule
    path.write_text(GOOD_HEADER + rules)
    found = [f"{p.path}: {p.message}" for p in validate(load_source(path))[1]]
    said = "'{message.language}': a tag is written as it is, it fills no {placeholder}"
    assert found == [f"rules[0].then[0].add_tags[0]: {said}"], found
    # Removing such a tag, which an older pack added, is what a fixed pack does: not refused.
    path.write_text(GOOD_HEADER + "rules:\n" + rule.replace("add_tags", "remove_tags"))
    assert validate(load_source(path))[1] == []


def test_a_stored_pack_with_a_tag_published_before_the_rule_still_loads() -> None:
    # The tag rule is a publish-time check: a pack pinned by running conversations before it (a tag
    # with a quote) is read as it was stored, or their decisions would fail at every event.
    stored = {
        "meta": {"name": "old"},
        "rules": [{"id": "t", "on": ["conversation.created"], "then": [{"add_tags": ["Bob's"]}]}],
    }
    (action,) = RulePack.model_validate(stored).rules[0].then
    assert isinstance(action, AddTags) and action.value == ["Bob's"]


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_problem_in_tests_yaml_names_that_file_and_line(tmp_path: Path, wrapped: bool) -> None:
    """With cases in pack.yaml too, a problem in tests.yaml's second case was put at pack.yaml's line
    of an index neither file has; written as `{tests: [...]}`, at tests.yaml's line 1."""
    (tmp_path / "pack.yaml").write_text(
        GOOD_HEADER
        + textwrap.dedent("""\
        rules:
          - {id: real, on: [message.received]}
        tests:
          - {name: inline 1, event: message.received, expect: {matched: [real]}}
          - {name: inline 2, event: message.received, expect: {matched: [real]}}
        """)
    )
    cases = textwrap.dedent("""\
        - name: first in the file
          event: message.received
          expect: {matched: [real]}
        - name: second in the file
          event: message.received
          expect:
            matched: [reel]
        """)
    if wrapped:
        cases = "tests:\n" + textwrap.indent(cases, "  ")
    (tmp_path / "tests.yaml").write_text(cases)
    _, problems = validate(load_source(tmp_path))
    (problem,) = problems
    line = next(n for n, text in enumerate(cases.splitlines(), 1) if "[reel]" in text)
    assert (problem.file, problem.line) == (tmp_path / "tests.yaml", line)
    assert problem.path == "tests[3].expect.matched[0]"


def test_every_mistake_of_a_calendar_is_named_in_one_reading(tmp_path: Path) -> None:
    """A calendar with five mistakes took five runs of `rules validate`: each named the first only."""
    path = tmp_path / "pack.yaml"
    path.write_text(
        textwrap.dedent(
            """
            meta: {name: test, language: en}
            calendars:
              shop:
                timezone: Europe/Berln
                hours: {mo: [["09:00", "17:00"]], tue: [["09:00", "25:00"]], thu: "09:00-17:00"}
                holiday_regions: [DE-XX]
                opening: soon
            rules:
              - {id: r, on: [message.received]}
            """
        )
    )
    _, problems = validate(load_source(path))
    assert [p.path for p in problems] == [
        "calendars.shop.opening",
        "calendars.shop.timezone",
        "calendars.shop.hours.mo",
        "calendars.shop.hours.tue[0][1]",
        "calendars.shop.hours.thu",
        "calendars.shop.holiday_regions[0]",
    ], problems
    assert problems[1].message == "unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?"


def test_a_broken_structure_still_names_the_rest_s_mistakes_at_their_own_paths(tmp_path: Path) -> None:
    """A misspelt event and a misspelt field of a test case hid every other mistake (the unknown
    team, the context path, the test's unknown rule id) until they were mended: one run each."""
    path = tmp_path / "pack.yaml"
    path.write_text(
        textwrap.dedent(
            """
            meta: {name: test, language: en}
            teams: {billing: {}}
            rules:
              - {id: a, on: [message.recieved], then: [{route: billing}]}
              - id: b
                on: [message.received]
                if: {"==": [{"var": "customer.teir"}, "vip"]}
                then: [{route: biling}]
            tests:
              - {name: t1, event: message.received, expect: {prority: high}}
              - {name: t2, event: message.received, context: {customer: {teir: vip}},
                 expect: {matched: [a, c]}}
            """
        )
    )
    pack, problems = validate(load_source(path))
    assert pack is None
    assert [(p.path, p.line) for p in problems] == [
        ("rules[0].on[0]", 5),
        ("tests[0].expect.prority", 11),
        ("rules[1].if.==[0].var", 8),
        ("rules[1].then[0].route", 9),
        ("tests[1].context.customer.teir", 12),
        ("tests[1].expect.matched[1]", 13),  # `c`; `a`, set aside for its own mistake, is not named
    ], problems
    # a structure error outside a rule, a case, a policy, a team, a template or a calendar: no more
    path.write_text(
        path.read_text().replace("meta: {name: test, language: en}", "meta: {name: test, lang: en}")
    )
    _, problems = validate(load_source(path))
    assert [p.path for p in problems] == ["meta.lang", "rules[0].on[0]", "tests[0].expect.prority"], problems


def test_what_is_set_aside_hides_only_the_problems_naming_it_as_what_it_is(tmp_path: Path) -> None:
    """Rule `billing` set aside for a typo hid a route to the team "billing" the pack no longer has
    (any problem quoting the name was dropped), and a duplicate id named the salvaged index."""
    path = tmp_path / "pack.yaml"
    path.write_text(
        textwrap.dedent(
            """
            meta: {name: test, language: en}
            teams: {billing-team: {}}
            rules:
              - {id: billing, on: [message.received], stpo: true}
              - {id: general, on: [message.received]}
              - {id: general, on: [message.received]}
              - {id: route, on: [message.received], then: [{route: billing}]}
            tests:
              - {name: t, event: message.received, expect: {matched: [billing, route]}}
            """
        )
    )
    _, problems = validate(load_source(path))
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        'rules[0].stpo: unknown field (did you mean "stop"?)',
        'rules[2].id: duplicate rule id "general" (also rules[1])',
        'rules[3].then[0].route: unknown team "billing" (did you mean "billing-team"?)',
    ], problems


def test_a_rule_or_policy_with_a_structure_error_has_its_other_mistakes_named_too(tmp_path: Path) -> None:
    """A bad priority in a rule's action and bad minutes in a policy set the whole rule and policy
    aside: their unknown context path, template and status waited for a second run."""
    path = tmp_path / "pack.yaml"
    path.write_text(
        textwrap.dedent(
            """
            meta: {name: test, language: en}
            calendars: {always: {timezone: UTC, hours: {mon: [["00:00", "24:00"]]}}}
            templates: {ack: {en: "hi"}}
            sla_policies:
              fast: {calendar: always, first_response_minutes: 0, pause_on: [pending, waiting]}
            rules:
              - id: vip
                on: [conversation.created]
                if: {"==": [{"var": "conversation.chanel"}, "email"]}
                then:
                  - set_priority: hihg
                  - reply: {template: ackk}
            tests:
              - {name: t1, event: message.received, expect: {prority: high, route: nowhere}}
            """
        )
    )
    _, problems = validate(load_source(path))
    assert [p.path for p in problems] == [
        "sla_policies.fast.first_response_minutes",
        "rules[0].then[0].set_priority",
        "tests[0].expect.prority",
        "sla_policies.fast.pause_on[1]",
        "rules[0].if.==[0].var",
        "rules[0].then[1].reply.template",  # its own index, though then[0] was set aside
        "tests[0].expect.route",
    ], problems


def test_a_time_zone_in_the_wrong_case_is_named_with_the_one_meant() -> None:
    """`europe/paris` was "unknown time zone" with no hint, where other names get one (helper-114)."""
    from engine.calendar_document import CalendarError, read_document

    with pytest.raises(CalendarError) as refused:
        read_document({"timezone": "europe/paris", "hours": {}})
    assert "did you mean 'Europe/Paris'?" in str(refused.value)
