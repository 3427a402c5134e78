# JSON held to its grammar on the board: MicroPython's json reads a missing comma or
# colon and a trailing comma as if they were there, and `"high": 2 50` as 2, where
# CPython's (tools/flash.py, a computer's editor) refuses the file, and neither says
# which keys a file gives twice. The settings (app.config) and the pin maps
# (sound.board) are read through these, so one file means one thing everywhere.
# By hand: no parser on the board offers either check. Both walk bytes: JSON's
# structural characters are ASCII, never part of a UTF-8 sequence.
import json

_AFTER = {0x7B: "key or }", 0x5B: "value or ]"}
_HEX = b"0123456789abcdefABCDEF"


def _string_end(data, i):
    """The index of the quote that ends the string opening at data[i] (len(data) if none)."""
    j, n = i + 1, len(data)
    while j < n and data[j] != 0x22:
        j += 2 if data[j] == 0x5C else 1
    return j


def _digits(tok, i):
    while i < len(tok) and 0x30 <= tok[i] <= 0x39:
        i += 1
    return i


def _is_literal(tok):
    """Whether the bytes tok are one JSON number, true, false or null. MicroPython's json
    reads `70true` as 70 then true (a missing comma, and a key that is not a string),
    `070` as 70 and `1.` as 1.0, where CPython's refuses each."""
    if tok in (b"true", b"false", b"null"):
        return True
    i, n = 0, len(tok)
    if i < n and tok[i] == 0x2D:   # -
        i += 1
    j = _digits(tok, i)
    if i < n and tok[i] == 0x30:   # a 0 stands alone before the point
        j = i + 1
    if j == i:
        return False
    i = j
    if i < n and tok[i] == 0x2E:   # . and at least one digit
        j = _digits(tok, i + 1)
        if j == i + 1:
            return False
        i = j
    if i < n and tok[i] in b"eE":
        i += 2 if i + 1 < n and tok[i + 1] in b"+-" else 1
        j = _digits(tok, i)
        if j == i:
            return False
        i = j
    return i == n


def _line(data, i):
    return data.count(b"\n", 0, i) + 1


def syntax_problem(data):
    """Where `data` (bytes a JSON parser took) breaks JSON's grammar, or None.
    MicroPython's json reads a missing comma or colon and a trailing comma as if they
    were there, and `"high": 2 50` as 2, where CPython's (tools/flash.py, a computer's
    editor) refuses the file: the same file must mean the same on the board. So it
    checks each number and true/false/null whole, and strings for raw control
    characters and for escapes JSON does not have (MicroPython's json reads `\\q` as q
    and `\\u00zz` as U+0233, where CPython's refuses both). Walks bytes, as
    duplicate_keys does."""
    stack = []       # 0x7B ({) or 0x5B ([) per open container
    want = "value"   # value | key or } | value or ] | key | : | , or close | end
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c in b" \t\r\n":
            i += 1
            continue
        top = stack[-1] if stack else None
        if c == 0x22:   # a string
            j = _string_end(data, i)
            k = i + 1
            while k < min(j, n):
                if data[k] < 0x20:   # MicroPython's json takes a raw tab or line break
                    return "line %d: a tab or line break inside a string (write it as \\t or \\n)" % _line(data, k)
                if data[k] == 0x5C:   # and reads `\q` as q, `\u00zz` as U+0233
                    e = data[k + 1:k + 2]
                    hexes = data[k + 2:k + 6] if e == b"u" else b"0000"
                    if e not in b'"\\/bfnrtu' or len(hexes) < 4 or any(h not in _HEX for h in hexes):
                        return "line %d: a backslash in a string that starts no JSON escape (write one as " \
                               "\\\\; \\u takes 4 hex digits)" % _line(data, k)
                    k += 1
                k += 1
            if want in ("key", "key or }"):
                want = ":"
            elif want in ("value", "value or ]"):
                want = ", or close" if stack else "end"
            else:
                break
            i = j + 1
            continue
        if c == 0x7B or c == 0x5B:
            if want not in ("value", "value or ]"):
                break
            stack.append(c)
            want = _AFTER[c]
        elif c == 0x7D or c == 0x5D:
            if top != c - 2 or not (want == ", or close" or want == _AFTER[top]):
                break
            stack.pop()
            want = ", or close" if stack else "end"
        elif c == 0x3A:   # :
            if want != ":":
                break
            want = "value"
        elif c == 0x2C:   # ,
            if want != ", or close":
                break
            want = "key" if top == 0x7B else "value"
        else:   # a number, true, false or null: its run of characters
            if want not in ("value", "value or ]"):
                break
            j = i
            while j < n and data[j] not in b" \t\r\n,:]}[{\"":
                j += 1
            if not _is_literal(data[i:j]):
                tok = data[i:min(j, i + 20)]
                return "line %d: %s is not a number, true, false or null (a comma missing, or a typo?)" % (
                    _line(data, i), repr(tok.decode()) if max(tok) < 128 else "a run of %d bytes" % (j - i))
            i = j
            want = ", or close" if stack else "end"
            continue
        i += 1
    else:
        return None if want == "end" else "it ends before its last %s" % (
            "}" if stack and stack[-1] == 0x7B else "]" if stack else "value")
    due = {"end": "the end", ":": "a colon", ", or close": "a comma or " + (
        "}" if stack and stack[-1] == 0x7B else "]")}.get(want, "a " + want)
    return "line %d: %s where %s was due (a comma or a colon missing, or one too many?)" % (
        _line(data, i), repr(chr(data[i])) if data[i] < 128 else "a byte %d" % data[i],
        due)


def duplicate_keys(data):
    """Paths ("alarms.low", "wifi[].ssid") of keys that occur twice in one object of
    `data`, the bytes of valid JSON (parsers silently keep the last of them).
    Walks bytes: structural characters are ASCII, never part of a UTF-8 sequence.
    By hand because MicroPython's json has no object_pairs_hook to see them."""
    stack = []  # one per open container: [keys seen or None for a list, its path]
    last = None  # the most recent key of the innermost object
    out = []
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c == 0x22:  # a string: find its end, then whether a ':' follows (a key)
            j = _string_end(data, i)
            k = j + 1
            while k < n and data[k] in b" \t\r\n":
                k += 1
            if k < n and data[k] == 0x3A and stack and stack[-1][0] is not None:
                key = json.loads(data[i:j + 1]) if 0x5C in data[i:j] else data[i + 1:j].decode()
                seen, where = stack[-1]
                if key in seen:
                    path = where + "." + key if where else key
                    if path not in out:
                        out.append(path)
                else:
                    seen.add(key)
                last = key
            i = j + 1
            continue
        if c == 0x7B or c == 0x5B:  # { or [
            if not stack:
                where = ""
            elif stack[-1][0] is None:
                where = stack[-1][1] + "[]"
            else:
                where = stack[-1][1] + "." + last if stack[-1][1] else last
            stack.append([set() if c == 0x7B else None, where])
        elif c == 0x7D or c == 0x5D:  # } or ]
            stack.pop()
        i += 1
    return out
