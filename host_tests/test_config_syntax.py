"""CPython only: app.config.syntax_problem against CPython's strict json (hypothesis).
MicroPython's json reads a missing comma or colon and a trailing comma as if they were
there, and `"high": 2 50` as 2 (helper-177, session 39), where CPython's json (tools/
flash.py, an editor on a computer) refuses the file; config.load now refuses what
syntax_problem finds, so one file means one thing everywhere. Property: for JSON text
with structural characters inserted or deleted (strings untouched), syntax_problem
finds a problem exactly when CPython's json refuses the text."""
import json

from hypothesis import given, settings, strategies as st

from app import config

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.text(alphabet='ab "\\\u00e9:,{}[]', max_size=6))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(alphabet='ab"\\,:', max_size=4), inner, max_size=4)),
    max_leaves=12)


def _outside_strings(text):
    """Indexes of text not inside a string (where a structural edit stays structural)."""
    out, inside, i = [], False, 0
    while i < len(text):
        c = text[i]
        if inside:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                inside = False
        elif c == '"':
            inside = True
        else:
            out.append(i)
        i += 1
    return out + [len(text)]


@settings(max_examples=400, deadline=None)
@given(VALUES, st.booleans(), st.data())
def test_valid_json_has_no_problem(value, indent, data):
    text = json.dumps(value, indent=2 if indent else None)
    assert config.syntax_problem(text.encode()) is None, text


@settings(max_examples=1500, deadline=None)
@given(VALUES, st.data())
def test_a_structural_edit_is_a_problem_exactly_when_strict_json_refuses_it(value, data):
    text = json.dumps(value, indent=data.draw(st.sampled_from([None, 1])))
    spots = _outside_strings(text)
    i = data.draw(st.sampled_from(spots))
    if data.draw(st.booleans()) and i < len(text):
        edited = text[:i] + text[i + 1:]                        # a character deleted
    else:
        edited = text[:i] + data.draw(st.sampled_from(list(",:{}[] 5"))) + text[i:]
    try:
        json.loads(edited)
        strict_ok = True
    except ValueError:
        strict_ok = False
    got = config.syntax_problem(edited.encode())
    if strict_ok:
        assert got is None, (edited, got)
    elif not _literal_broken(edited):
        assert got is not None, edited


def _literal_broken(text):
    """An edit inside a number or true/false/null breaks the literal, the parser's to
    refuse (MicroPython's refuses "tru" and "1-" alike), not the grammar's."""
    import re
    for tok in re.findall(r'(?<![\w."\\])[-+.\w]+', "".join(
            ' ' if i not in set(_outside_strings(text)) else c for i, c in enumerate(text))):
        if tok in ("true", "false", "null"):
            continue
        try:
            json.loads(tok)
        except ValueError:
            return True
    return False


def test_the_problems_say_where_and_what_was_due():
    assert config.syntax_problem(b'{\n"low": 80,\n"high": 2 50\n}') == (
        "line 3: '5' where a comma or } was due (a comma or a colon missing, or one too many?)")
    assert config.syntax_problem(b'{"low": 80,}').startswith("line 1: '}' where a key was due")
    assert config.syntax_problem(b'{"low" 80}').startswith("line 1: '8' where a colon was due")
    assert config.syntax_problem(b'{"low": 80') == "it ends before its last }"
