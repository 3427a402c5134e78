"""CPython only: app.config.syntax_problem against CPython's strict json (hypothesis).
MicroPython's json reads a missing comma or colon and a trailing comma as if they were
there, and `"high": 2 50` as 2 (helper-177, session 39), where CPython's json (tools/
flash.py, an editor on a computer) refuses the file; config.load now refuses what
syntax_problem finds, so one file means one thing everywhere. Property: for JSON text
with characters inserted or deleted outside strings (a structural character, a digit,
a letter of a literal, a tab), syntax_problem finds a problem exactly when CPython's json
refuses the text."""
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
        edited = text[:i] + data.draw(st.sampled_from(list(",:{}[] 5-0.eEt\tn"))) + text[i:]
    assert (config.syntax_problem(edited.encode()) is None) == _strict_ok(edited), edited


def _strict_ok(text):
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789-+.eEtrufalsn", min_size=1, max_size=8))
def test_a_literal_is_taken_exactly_when_strict_json_takes_it(tok):
    # MicroPython's json reads 70true as 70 then true (helper-182, session 42: at the top of
    # config.json a key that is not a string, and config.load raised), 070 as 70, 1. as 1.0
    assert (config.syntax_problem(b'{"a": ' + tok.encode() + b'}') is None) == _strict_ok('{"a": %s}' % tok), tok


def test_the_problems_say_where_and_what_was_due():
    assert config.syntax_problem(b'{\n"low": 80,\n"high": 2 50\n}') == (
        "line 3: '5' where a comma or } was due (a comma or a colon missing, or one too many?)")
    assert config.syntax_problem(b'{"low": 80,}').startswith("line 1: '}' where a key was due")
    assert config.syntax_problem(b'{"low" 80}').startswith("line 1: '8' where a colon was due")
    assert config.syntax_problem(b'{"low": 80') == "it ends before its last }"
    assert config.syntax_problem(b'{"low": 70true}') == (
        "line 1: '70true' is not a number, true, false or null (a comma missing, or a typo?)")
    assert config.syntax_problem(b'{\n"name": "a\tb"}') == (
        "line 2: a tab or line break inside a string (write it as \\t or \\n)")


def _refused_by_cpython(data):
    try:
        json.loads(data.decode())
        return False
    except ValueError:
        return True


def test_each_control_character_anywhere_in_a_string_is_refused_as_cpython_refuses_it():
    # (mutation run of session 43: one at a string's first character, and 0x1f, got through)
    for c in range(0x20):
        for text in (b'{"a": "%sb"}', b'{"a": "b%s"}', b'{"a%s": 1}', b'["%s"]'):
            data = text % bytes([c])
            assert _refused_by_cpython(data)
            assert config.syntax_problem(data).endswith("inside a string (write it as \\t or \\n)"), (c, data)
    for c in (0x20, 0x7F):
        assert config.syntax_problem(b'{"a": "%sb"}' % bytes([c])) is None


def test_numbers_with_an_exponent_and_stray_characters_are_judged_as_cpython_judges_them():
    for tok in (b"1e5", b"1E+5", b"-1.5e-05", b"0e0", b"1e", b"1e+", b"1/2", b"1.e5", b"01", b"-"):
        data = b'{"a": ' + tok + b'}'
        assert (config.syntax_problem(data) is not None) == _refused_by_cpython(data), tok


def test_the_problems_name_the_line_the_token_and_the_bracket_due():
    p = config.syntax_problem
    assert p(b'\n{"a": 1 2}') == ("line 2: '2' where a comma or } was due (a comma or a colon "
                                  "missing, or one too many?)")
    assert p(b'{"a": [1 2]}').startswith("line 1: '2' where a comma or ] was due")
    assert p(b'{"a": [1') == "it ends before its last ]"
    assert p(b'[{"a": 1') == "it ends before its last }"
    assert p(b'{"a": "abc') == "it ends before its last }"   # a string never closed
    assert p(b'') == "it ends before its last value"
    assert p(b'[1,]').startswith("line 1: ']' where a value was due")
    # a bad literal is quoted up to 20 characters; one not ASCII is counted
    assert p(b'{"a": 12345678901234567890123x}').startswith(
        "line 1: '12345678901234567890' is not a number")
    assert p('{"a": 1\u00e92}'.encode()).startswith("line 1: a run of 4 bytes is not a number")
    assert p(b'{\x7f}').startswith("line 1: '\\x7f' where a key or } was due")
    assert p(b'{\x80}').startswith("line 1: a byte 128 where a key or } was due")


def test_each_escape_is_judged_as_cpython_judges_it():
    # MicroPython's json read `\q` as q, `\x41` as x41 and `\u00zz` as U+0233 (session 65,
    # helper-331): a Wi-Fi password typed with a backslash on the board meant another
    # password there than the one tools/flash.py refused
    for b in range(0x20, 0x100):
        data = b'{"a": "x\\' + bytes([b]) + b'0000y"}'
        assert (config.syntax_problem(data) is not None) == _refused_by_cpython(data), data


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet='0aFg"\\ u', max_size=6))
def test_a_unicode_escape_is_taken_exactly_when_cpython_takes_it(rest):
    data = b'["\\u' + rest.encode() + b'"]'
    assert (config.syntax_problem(data) is None) == (not _refused_by_cpython(data)), data
