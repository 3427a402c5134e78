# Follower mode: a second box (another room) reads a leader box's LAN API or
# a Nightscout, and its own alarm engine raises the same alarms locally.
#
#   f = Follower(cfg["follow"], on_reading, on_condition, on_server_date=None)
#   await f.run()                 # polls forever (a supervised task)
#   f.status()                    # {"url", "last_entry_unix", "last_error", "silent", "polls",
#                                 #  "alarms_error"}
#
# cfg (app.config "follow"): {"url": leader "http://cgm-alarm-ab12.local:17580" or
#   Nightscout "https://ns.example.org", "api_secret": "" (sent as header
#   api-secret = SHA-1 hex, as xDrip+ and Nightscout expect), "token": ""
#   (Nightscout access token, ?token=), "silent_min": 15, "poll_s": 60,
#   "ca_file": "" (required for https: the server is verified)}.
# Both sources answer GET /api/v1/entries/sgv.json?count=N&find[date][$gt]=MS
# &find[date][$lte]=MS (newest first; `date` in Unix ms, `sgv` mg/dL, `direction`).
# $gt: after the last entry taken; $lte: up to LOOK_S ahead of the server's clock
# (its last Date and the box's ms since; else the box's wall clock; neither: no
# bound), so entries dated in the future cannot fill the answer.
#
# An entry dated in the future (an uploader whose clock runs ahead: a phone an
# hour off) is never taken, then or when its time comes, by two rules:
# - Nightscout's `_id` is a Mongo ObjectId: 24 hex digits, the first 8 the second
#   the server made the entry, by its own clock (lib/server/entries.js lets Mongo
#   make it; only a client's own ObjectId, rare, is kept). An entry dated more
#   than FUTURE_S after it was uploaded before its time: it is no reading of its
#   date, whenever this box first sees it: after an outage, at the first poll
#   after a boot, with poll_s 300, once its date has passed. An honest uploader's
#   entry is made at or after its date (seconds after; a backfill, hours), so one
#   whose clock is a minute or two ahead still has every reading taken, at once;
#   one more than FUTURE_S ahead has none taken, reported, and leader_silent
#   sounds. Chosen over remembering the last poll's $lte bound and refusing what
#   appears past it more than ~60 s past now: at a boot (no bound) and after a
#   long outage that cannot tell an uploader 90 s ahead from one an hour ahead,
#   and it takes a phone's entries that are dated in the past by now (a phone
#   wrong for hours). Not covered (the band rule below only): an `_id` other
#   than 24 hex digits (the LAN API's; its brief_mode answer has none, and its
#   entries and its Date come from one clock), and an ObjectId made by the
#   uploader's own clock (one writing straight to Mongo). Nightscout keeps one
#   entry per date (sysTime + type): a real reading dated to the millisecond as
#   a future one stored before it keeps that one's `_id` and is refused too
#   (leader_silent when that lasts).
# - an entry seen by a poll while more than FUTURE_S ahead of the server's clock
#   is remembered (date and glucose) and skipped when time brings it closer.
#
# on_reading(reading) gets each new entry, oldest first, as a Reading tuple
# (firmware/reading.py): source "live", unix_s = entry date // 1000, or the
# second Nightscout made the entry (its ObjectId) when that is earlier (an
# uploader's clock ahead by up to FUTURE_S: the reading was measured by then), moved
# onto this box's clock when the server's Date header is more than SKEW_S apart from
# it (the box ages readings by its own clock); dex_s = entry date // 1000 (a follower
# has no transmitter clock; what it asks after), state 6 (the transmitter's
# "ok"), trend in mg/dL/min x10 from the previous entry when it is at most
# 10 min older, else from the direction arrow's mid-rate. sgv below 39 (the
# Dexcom error codes) or above 600 (no CGM reads so high) becomes None (no
# usable value).
#
# on_condition("link", name, active):
#   "leader_silent"  no fresh entry for silent_min minutes, whatever the cause
#                    (leader unreachable, Wi-Fi down, leader lost its
#                    transmitter), nor, with on_alarms, a report of the leader
#                    box's alarms from its running alarm task (a leader heard
#                    without readings, its sensor warming up or its transmitter
#                    lost, sounds that outage itself, and alarms.gate wakes this
#                    box when it goes unanswered there: sounded here too, it woke
#                    the second person through every warm-up the patient had
#                    answered); an entry counts as fresh when it is new and
#                    younger than silent_min by the server's clock (its Date
#                    header; else this box's wall clock once valid, else any new
#                    entry). An entry dated more than FUTURE_S ahead of that clock
#                    (a leader's clock set wrong, an uploader's time zone an hour
#                    off, a garbage date) is not taken, then or later (the two
#                    rules above): taken when time brings it within FUTURE_S,
#                    it fed the alarms an old value as "now", and the real
#                    readings dated before it were never fetched
#                    (find[date][$gt]). So "last taken" never passes the
#                    server's now + FUTURE_S; found past it (the leader's clock ran
#                    ahead and was put right: its readings since are dated before
#                    it), it moves back to the newest entry taken that is not (else
#                    to BACK_S before now), and the next poll asks from there.
#   "leader_auth"    401/403: api_secret or token refused (raised at once)
# on_server_date(http_date_string), when given, gets the server's Date
# header (forward.timesync.TimeSync.offer_date) so the wall clock gets set.
# on_alarms(report), when given (follow.sound "unanswered"), gets the leader box's
# alarms (/api/v1/alarms.json, parse_alarms) at each poll that reached it, fetched
# after the entries and given before them (so main applies it with them), or None
# when the leader answered without them (not a box, an error, a garbled answer):
# alarms.gate then lets every alarm sound here. A poll that did not reach the
# leader gives nothing: the last report grows stale (alarms.gate.fresh), unless
# holding() (main.App.quiet(): this box plays an alarm silently on the leader's word):
# then the poll is asked again RETRY_S later, and the third in a row without a report
# gives None (logged, alarms_error): a leader gone sounds here a poll and two retries
# after its last report, not 2 x poll_s + 30 s.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import asyncio
import binascii
import hashlib
import json

from forward import http, failure
from forward import ConfigError, log_print
from forward.timesync import parse_http_date
from alarms.kinds import STATUS, NO_GLUCOSE, NO_LINK

OK_STATE = 6
MIN_SGV = 39                  # Dexcom codes below this are errors, not glucose
MAX_SGV = 600                 # no CGM reports more (Dexcom 400, Libre 500): a garbage value
COUNT = 12                    # one hour of readings at start, then new ones (a
                              # one-hour gap after an outage is refilled)
MAX_BODY = 6144               # 12 entries of 500 B; an answer cut here halves the count
# json.loads turns a 6 KB answer of empty lists or objects ("[[],[],...", "[[[[...") into
# 74-230 KB of heap: more brackets than a Nightscout answer of COUNT flat entries
# could hold is refused unread. Entries are flat objects; a few nested fields are allowed.
MAX_BRACKETS = 8 * COUNT + 8
MIN_DATE_MS = 1577836800000   # 2020-01-01: an entry dated before it is garbage (a negative date
                              # was stored as 2106 by the LAN API's history, and served as current)
TIMEOUT_S = 15
FUTURE_S = 300                # an entry dated further ahead of "now" is not a reading of now
# the answer reaches this far ahead of the server's clock: an entry dated in the
# future is seen while it is still more than FUTURE_S ahead (by a poll more often
# than every 5 min) and remembered, so not taken when time brings it closer
LOOK_S = 2 * FUTURE_S
AHEAD_MAX = 2 * COUNT         # entries remembered as first seen too far ahead
BACK_S = 3600                 # "last taken" moved back with no entry taken before it: an hour
SKEW_S = 60                   # the server's clock further apart from the box's: readings are re-dated
# an entry less than this after the last one taken is the same reading again: a
# Nightscout fed by two uploaders (the box and a phone) holds each reading twice,
# seconds apart, and find[date][$gt] (whole seconds here) returns the last entry
# taken again when its date has milliseconds (xDrip+'s do). No CGM reads more
# often than once a minute.
DUPLICATE_S = 30
_HEX = const("0123456789abcdefABCDEF")
_DATE_KEY = const(b'"date"')
_SPACE = const((32, 9, 10, 13))
_NUMBER_CHARS = const((43, 45, 46, 69, 101))  # + - . E e, beside the digits
# mid-rate of each arrow (mg/dL/min x10), the bands of forward.entries._ARROWS
# (two tuples, in flash: a dict was 0.1 KB of heap)
_ARROWS = const(("DoubleUp", "SingleUp", "FortyFiveUp", "Flat", "FortyFiveDown", "SingleDown",
                 "DoubleDown"))
_ARROW_RATES = const((40, 27, 15, 0, -15, -27, -40))


ALARMS_BODY = 2560            # the leader's alarms: 14 types of 140 B at most (for_s too)
# the alarms' request comes between the entries' and their feeding (so main takes both
# together): on the LAN a box answers in milliseconds, and a slow one delays the readings
# no more than this (a timeout keeps the last report, which grows stale)
ALARMS_TIMEOUT_S = 5
ALARMS_BRACKETS = 40          # 14 objects, a list, the whole: more is no box's answer
# a poll that brings no word of the leader (its alarms' report: the leader off, the
# Wi-Fi down, a request lost) while this box plays an alarm silently on that word
# (holding) is asked again RETRY_S later (poll_s when shorter), RETRIES times; when the
# last brings none either, the word is given up at once (on_alarms(None)) and this box
# sounds. A leader off just after its report was trusted until the report was stale,
# 2 x poll_s + 30 s (10.5 min with poll_s 300); now poll_s + 2 x RETRY_S and the three
# requests' time (each up to TIMEOUT_S: a host powered off refuses nothing), or the
# report's staleness when sooner. A request lost, or two in a row, wakes nobody (the
# three span 2 x min(RETRY_S, poll_s) at least); the Wi-Fi carries two polls more at most each
# time the leader goes unheard while an alarm is held on its word.
RETRY_S = 15
RETRIES = 2


class FollowError(ConfigError):
    """Bad follow configuration (the message names the key)."""


def _number(v):
    """int of a JSON number; None for anything else, inf and nan included (1e999
    is valid JSON and parses as inf)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        return int(v)
    except (OverflowError, ValueError):
        return None


def _whole_ms(token):
    """The integer part of a JSON number token (bytes), exactly; None when it is
    not a plain JSON number or its exponent is out of any date's reach."""
    try:
        text = token.decode().replace("E", "e")
        mantissa, exp = text.split("e") if "e" in text else (text, "0")
        whole, frac = mantissa.split(".") if "." in mantissa else (mantissa, "")
        unsigned = whole[1:] if whole[:1] == "-" else whole
        if not unsigned.isdigit() or (frac and not frac.isdigit()) or ("." in mantissa and not frac):
            return None
        shift = int(exp) - len(frac)  # ValueError for an exponent without digits
    except (ValueError, UnicodeError):
        return None
    if not -40 <= shift <= 20:
        return None
    n = int(whole + frac)
    return n * 10 ** shift if shift >= 0 else n // 10 ** -shift


def exact_dates(body):
    """`body` with every "date" number that has a fraction or an exponent
    written as whole milliseconds. json.loads would make such a date a float, and
    the board's floats are single precision: 1767225900123.4 (a fraction) or
    1.7672259001234E12 (a Java double, as org.json writes it) parses up to two
    minutes off there, and the trend, the fall window, freshness and the
    duplicate rule would judge a wrong time. Integer dates (Nightscout's) are
    exact already; the body is returned as it is when it has no other kind."""
    out = []
    start, n = 0, len(body)
    i = body.find(_DATE_KEY)
    while i >= 0:
        j = i + len(_DATE_KEY)
        while j < n and body[j] in _SPACE:
            j += 1
        if j < n and body[j] == 58:  # ":"
            j += 1
            while j < n and body[j] in _SPACE:
                j += 1
            k = j
            while k < n and (48 <= body[k] <= 57 or body[k] in _NUMBER_CHARS):
                k += 1
            token = body[j:k]
            if k - j <= 40 and (b"." in token or b"e" in token or b"E" in token):
                ms = _whole_ms(token)
                if ms is not None:
                    out.append(body[start:j])
                    out.append(str(ms).encode())
                    start = k
            j = k
        i = body.find(_DATE_KEY, j)
    if not out:
        return body
    out.append(body[start:])
    return b"".join(out)


def _says(body):
    """What a refusal's short JSON body says (a leader box's: "api-secret sent but this
    box has no secret set", where a parent would retype a secret that was never
    wrong; Nightscout's "message"), as " (the server says: ...)", else ""."""
    if not body or len(body) > 300:
        return ""
    try:
        d = json.loads(body)
    except (ValueError, MemoryError):
        return ""
    why = d.get("error") or d.get("message") if isinstance(d, dict) else None
    return " (the server says: %s)" % why[:60] if isinstance(why, str) and why else ""   # (words: 120)


def parse_alarms(body):
    """A leader box's /api/v1/alarms.json as alarms.gate reads it:
    {"alarms": {type: (status, level, for_s)}, "age_s": s, "muted": bool} ("muted":
    its sound failed; absent, as from a box of session 36: False; for_s: how long
    the alarm has lasted there, None from a box before session 55), and "why":
    (type, reason), why no glucose comes there (main.App.shown: this box's no_data
    tells it, as the leader's screen does): the leader's "cause" (what its screen's
    no_data says), or from a box before session 69, which gives none, its sensor
    alarm's (else its link alarm's) name when that says it. A cause of another shape
    or reason is no cause (words only: never a ValueError). "chain": {type: reason},
    the leader's alarms named there by a leader_ reason, about its own leader (a chain
    of boxes: its screen titles them "LEADER BOX", screen.view.titled), when any.
    ValueError for anything else (the follower then sounds every alarm itself)."""
    if isinstance(body, str):
        body = body.encode()
    if body.count(b"[") + body.count(b"{") > ALARMS_BRACKETS:
        raise ValueError("alarms: more lists and objects than a box's alarms")
    try:
        data = json.loads(body)
    except MemoryError:
        raise ValueError("alarms: the answer does not fit in memory")
    if not isinstance(data, dict) or not isinstance(data.get("alarms"), list):
        raise ValueError("alarms: expected {\"alarms\": [...], \"age_s\": n}")
    age = _number(data.get("age_s"))
    if age is None or age < 0:
        raise ValueError("alarms: no age_s (the leader's alarm task has not run)")
    muted = data.get("muted", False)
    if muted is not True and muted is not False:
        raise ValueError("alarms: muted is not true or false")
    out, why, chain = {}, None, {}
    for a in data["alarms"]:
        if not isinstance(a, dict):
            raise ValueError("alarms: an alarm that is not an object")
        kind, st, level = a.get("type"), a.get("status"), _number(a.get("level"))
        if not isinstance(kind, str) or st not in STATUS or level is None:
            raise ValueError("alarms: an alarm without type, status or level")
        lasted = a.get("for_s")
        if lasted is not None:
            lasted = _number(lasted)
            if lasted is None or lasted < 0:
                raise ValueError("alarms: for_s is not a number of seconds")
        out[kind] = (st, level, lasted)
        reason = a.get("reason")
        if isinstance(reason, str) and reason[:7] == "leader_":   # (another value: none, words only)
            chain[kind] = reason
        said = _why(kind, reason)   # (a box before session 69: its alarms' names)
        if said is not None and (why is None or kind == "sensor"):
            why = said
    if "cause" in data:   # the leader's own word: what its screen's no_data says
        cause = data["cause"]
        why = _why(*cause) if isinstance(cause, list) and len(cause) == 2 else None
    report = {"alarms": out, "age_s": age, "muted": muted}
    if why is not None:
        report["why"] = why
    if chain:
        report["chain"] = chain
    return report


def _why(kind, reason):
    """(kind, reason) when the leader's alarm `kind` says by `reason` why no glucose
    comes there (its sensor's, its link's), else None; not a chain's leader_ reasons:
    they are about the leader's own leader."""
    if kind == "sensor" and reason in NO_GLUCOSE or (
            kind == "link" and reason in NO_LINK and reason[:7] != "leader_"):
        return (kind, reason)
    return None


def _created(oid):
    """The second a Mongo ObjectId was made (its first 4 bytes, big-endian):
    24 hex digits, nothing else (int() alone would take a sign, "0x", "_" or
    spaces); None for any other `_id`."""
    if isinstance(oid, str) and len(oid) == 24 and not oid.strip(_HEX):
        return int(oid[:8], 16)
    return None


def _by_date_glucose_first(row):
    return (row[0], row[1] is None)


def parse_entries(body, after_ms=None, prev=None, skip=None, early=None):
    """New readings in `body` (JSON list of entries), oldest first.
    after_ms: only entries with date > after_ms, and DUPLICATE_S or more after
    it (or after prev). prev: (unix_s, sgv) of the last reading already taken,
    for the trend. skip: (unix_s, sgv) of entries never to take (seen too far
    ahead). Entries dated more than FUTURE_S after their `_id`'s creation are
    never taken; early (a list), when given, gets (unix_s, seconds ahead) of
    each. Raises ValueError on a body that is not a JSON list."""
    if isinstance(body, str):
        body = body.encode()
    if body.count(b"[") + body.count(b"{") > MAX_BRACKETS:
        raise ValueError("entries: more lists and objects than %d entries hold" % COUNT)
    try:
        data = json.loads(exact_dates(body))
    except MemoryError:   # what is parsed so far goes with the exception: the heap is back
        raise ValueError("entries: the answer does not fit in memory")
    if not isinstance(data, list):
        raise ValueError("entries: expected a JSON list")
    rows = []
    for e in data:
        if not isinstance(e, dict) or e.get("type", "sgv") != "sgv":
            continue
        date = _number(e.get("date"))
        if date is None or date < MIN_DATE_MS:
            continue
        if after_ms is not None and date <= after_ms:
            continue
        sgv = _number(e.get("sgv"))
        if sgv is not None and not MIN_SGV <= sgv <= MAX_SGV:
            sgv = None
        if skip and (date // 1000, sgv) in skip:
            # first seen too far ahead: by date and glucose, as the real reading of
            # that time (a phone's clock an hour ahead: the same 5-min grid) differs
            continue
        created = _created(e.get("_id"))
        if created is not None and date // 1000 - created > FUTURE_S:
            # uploaded before its time: an uploader's clock ran ahead. Skipped
            # before the duplicate rule: a real reading 10 s after it is taken
            if early is not None:
                early.append((date // 1000, date // 1000 - created))
            continue
        arrow = e.get("direction")
        # measured by the time the server made it, at the latest: an uploader's clock
        # a little ahead (taken) dated it later, and the box aged it from then
        made = date // 1000 if created is None else min(date // 1000, created)
        rows.append((date, sgv, arrow if isinstance(arrow, str) else None, made))   # a list: unhashable
    # by date only (two uploads of one reading share it, one perhaps without sgv or
    # direction: whole tuples compared None with a number or a str, TypeError at every
    # poll), the one with a glucose first: the later ones are skipped as duplicates
    rows.sort(key=_by_date_glucose_first)
    out = []
    last_s = after_ms // 1000 if after_ms is not None else prev[0] if prev is not None else None
    for date, sgv, arrow, made in rows:
        unix_s = date // 1000
        if last_s is not None and unix_s - last_s < DUPLICATE_S:
            continue  # the same reading again (DUPLICATE_S)
        last_s = unix_s
        trend = None
        if sgv is not None and prev is not None and prev[1] is not None and 0 < unix_s - prev[0] <= 600:
            trend = (sgv - prev[1]) * 600 // (unix_s - prev[0])
        elif sgv is not None:
            trend = _ARROW_RATES[_ARROWS.index(arrow)] if arrow in _ARROWS else None
        out.append((unix_s, made, sgv, trend, OK_STATE, "live"))
        prev = (unix_s, sgv)
    return out


def _wall():
    import clock  # lazily: the pure parts above also run on CPython (no ticks_ms there)
    return clock.unix() if clock.wall_valid() else None


def _ms():
    import clock
    return clock.ms()


class Follower:
    def __init__(self, cfg, on_reading, on_condition, on_server_date=None, log=log_print,
                 ms=_ms, unix=_wall, pause=None, on_alarms=None, since_fresh_s=None, holding=None):
        url = cfg.get("url") or ""
        try:
            self.scheme, self.host, self.port, self.base = http.parse_url(url)
        except ValueError as e:
            raise FollowError("follow.url: %s" % e)
        self.url = url
        self._pause = pause
        self.date_port = None   # plain HTTP's port for a Date (None: http.DATE_PORT, 80)
        self.ssl_ctx = None
        if self.scheme == "https":
            ca_file = cfg.get("ca_file")
            if not ca_file:
                raise FollowError("follow.ca_file: needed for https (the server is verified)")
            try:
                with open(ca_file, "rb") as f:
                    self.ssl_ctx = http.tls_context(f.read())
            except OSError:
                raise FollowError("follow.ca_file: cannot read %s" % ca_file)
        self.headers = [("Accept", "application/json")]
        secret = cfg.get("api_secret")
        if secret:
            self.headers.append(("api-secret", binascii.hexlify(
                hashlib.sha1(secret.encode()).digest()).decode()))
        self.token = cfg.get("token") or ""
        self.silent_ms = int(cfg.get("silent_min", 15)) * 60000
        self.poll_s = int(cfg.get("poll_s", 60))
        self.on_reading = on_reading
        self.on_condition = on_condition
        self.on_server_date = on_server_date
        self.on_alarms = on_alarms
        self.alarms_error = None     # why the last report was not had (on_alarms)
        self.holding = holding       # () -> True while this box plays an alarm silently on the leader's word
        self.misses = 0              # polls in a row that brought no report (on_alarms)
        self._reported = False       # whether the last poll brought one
        self.next_s = self.poll_s    # the pause before the next poll (run)
        self._log = log
        self._ms = ms
        self._unix = unix
        self.last_ms = None          # date (ms) of the newest entry taken
        self.server_off = None       # server's clock - box's ms // 1000, at its last Date
        self.skew = 0                # box's wall clock - server's, at its last Date (0: within SKEW_S)
        self.ahead = []              # (unix_s, sgv) of entries first seen too far ahead
        self.early_s = None          # date of the newest entry reported as made before its time
        self.taken = []              # (unix_s, sgv) of the last COUNT entries taken, oldest first
        self.prev = None             # (unix_s, sgv) of that entry
        # when the leader last gave a fresh entry: at a start, silent_min of grace, or after
        # a reset the age of the newest reading the box kept (since_fresh_s): a leader silent
        # since before the reset is still silent at the first poll it fails, and the
        # leader_silent restored from RTC memory sounds on (judged from boot, it cleared at
        # that poll and the box was quiet silent_min with the leader still away: chaos seed 5012)
        self.fresh_at = ms() - (since_fresh_s * 1000 if since_fresh_s and since_fresh_s > 0 else 0)
        self.heard_at = None         # when a report of the leader's alarms last came (on_alarms)
        self.active = {}             # condition name -> bool
        self.last_error = None
        # why the newest entries were refused (dated ahead) while none was taken since: the
        # status page's why until a reading is taken (a leader heard by its alarm reports is
        # never leader_silent, and last_error clears at the next poll that refuses nothing new)
        self.refused = None
        self.polls = 0
        self.count = COUNT           # entries asked for; halved while answers overflow MAX_BODY

    def path(self):
        # brief_mode: the leader (xDrip+ format) leaves out what a follower does not need
        p = self.base + "/api/v1/entries/sgv.json?brief_mode=Y&count=%d" % self.count
        if self.last_ms is not None:
            p += "&find[date][$gt]=%d" % self.last_ms
        now = self._now()
        if now is not None:
            # not what is dated further ahead: 12 entries an hour ahead filled the
            # answer, and the real readings never came
            p += "&find[date][$lte]=%d" % ((now + LOOK_S) * 1000)
        if self.token:
            p += "&token=" + self.token
        return p

    def _now(self):
        """The server's clock now (its last Date, and the box's ms since), else
        the box's wall clock, else None."""
        if self.server_off is not None:
            return self._ms() // 1000 + self.server_off
        return self._unix()

    def _set(self, name, active):
        # the first verdict is reported too, False included: a leader_silent or
        # leader_auth restored from RTC memory after a reset must clear when it no
        # longer holds (the silence counts from the newest reading kept: fresh_at)
        if self.active.get(name) != active:
            self.active[name] = active
            self.on_condition("link", name, active)

    async def poll(self):
        """One request; feeds new readings; updates the conditions. Never raises
        for network or server trouble (it becomes last_error and, in time,
        leader_silent)."""
        self.polls += 1
        self._reported = False
        status, body = None, b""
        refusing = False
        if self.ssl_ctx is not None and self._unix() is None and self.on_server_date:
            # the handshake checks the leader's certificate against the box's clock:
            # with none (NTP blocked), the Date of the host's plain HTTP answer first
            await http.offer_plain_date(self.host, self.date_port, TIMEOUT_S,
                                        self.on_server_date, self._log, "follow")
            if self._pause is not None:  # the pause before the poll went on the plain request
                await self._pause()
        try:
            status, date, body = await http.request("GET", self.host, self.port, self.path(),
                                                    self.headers, ssl_ctx=self.ssl_ctx,
                                                    timeout_s=TIMEOUT_S, max_body=MAX_BODY)
            if date and self.on_server_date:
                self.on_server_date(date)
            server_now = parse_http_date(date) if date else None
            if server_now is not None:
                self.server_off = server_now - self._ms() // 1000
            if status in (401, 403):
                self._set("leader_auth", True)
                raise ValueError("HTTP %d: api_secret or token refused%s" % (status, _says(body)))
            self._set("leader_auth", False)
            if status != 200:
                raise ValueError("HTTP %d" % status)
            box_now = self._unix()
            now = box_now if server_now is None else server_now
            if now is not None and self.last_ms is not None and self.last_ms > (now + FUTURE_S) * 1000:
                self._move_back(now, "box" if server_now is None else "server")
            early = []
            readings = parse_entries(body, self.last_ms, self.prev, self.ahead, early)
            if readings and self.count < COUNT:
                # halved by a cut answer (large entries, or a portal's page once):
                # grow back while twice as many would still fit well within the bound
                grown = min(COUNT, 2 * self.count)
                if len(body) // len(readings) * grown < MAX_BODY * 9 // 10:
                    self.count = grown
            ahead = 0
            if now is not None:
                while readings and readings[-1][0] > now + FUTURE_S:
                    r = readings.pop()   # newest last
                    ahead = r[0] - now
                    self._remember((r[0], r[2]))
            skew = 0
            if server_now is not None and box_now is not None and abs(box_now - server_now) > SKEW_S:
                skew = box_now - server_now
            if server_now is not None and box_now is not None:
                self.skew = skew
            if self.on_alarms is not None:
                await self._poll_alarms()
            self._take(readings, now, skew)
            if readings:
                self.refused = None
            refusing = not readings   # (what is raised below refuses an entry)
            if ahead:
                raise ValueError("an entry dated %d s after the %s's clock" % (
                    ahead, "server" if server_now is not None else "box"))
            if early:   # reported once (the newest of an answer), as those seen too far ahead
                d, made = max(early)
                if self.early_s is None or d > self.early_s:
                    self.early_s = d
                    raise ValueError("an entry dated %d s after the server made it (an uploader's clock ahead)"
                                     % made)
            self.last_error = None
        except (OSError, ValueError, asyncio.TimeoutError) as e:
            # ValueError covers a truncated or non-JSON body; the message never has the token
            err = "%s: %s" % (type(e).__name__, failure.words(e, 120))
            if refusing:
                self.refused = err
            if status == 200 and len(body) >= MAX_BODY and self.count > 1:
                # cut at the bound (a site whose uploader sends large entries, AAPS's
                # API v3 fields): it would fail at every poll, so ask for fewer
                self.count //= 2
                err += " (answer over %d B: asking for %d entries)" % (MAX_BODY, self.count)
            if err != self.last_error:
                self._log("follow: %s from %s:%d" % (err, self.host, self.port))
            self.last_error = err
            http.forget_address(self.host, self.port)  # a leader may come back on a new IP
        self.check_silent()
        self.next_s = self._next_s()

    def _next_s(self):
        """poll_s, or RETRY_S after a poll that brought no report of the leader's
        alarms while this box holds an alarm silent on its word; the third such poll
        in a row gives the word up (on_alarms(None): every alarm sounds here)."""
        if self.on_alarms is None or self._reported:
            self.misses = 0
            return self.poll_s
        self.misses += 1
        if self.misses > RETRIES + 1 or self.holding is None or not self.holding():
            return self.poll_s
        if self.misses <= RETRIES:
            return min(RETRY_S, self.poll_s)
        self.alarms_error = "no answer at %d polls in a row" % self.misses
        self._log("follow: no word from the leader %s:%d at %d polls in a row while an alarm plays "
                  "silently on it (every alarm sounds here)" % (self.host, self.port, self.misses))
        self.on_alarms(None)
        return self.poll_s

    async def _poll_alarms(self):
        """The leader's alarms to on_alarms; None for an answer without them. A
        request that did not reach the leader gives nothing: the last report
        stands until it is stale (a lost packet does not wake a second person)."""
        report, err = None, None
        try:
            if self._pause is not None and self.ssl_ctx is not None:
                await self._pause()
            path = self.base + "/api/v1/alarms.json" + ("?token=" + self.token if self.token else "")
            status, _, body = await http.request("GET", self.host, self.port, path, self.headers,
                                                 ssl_ctx=self.ssl_ctx, timeout_s=ALARMS_TIMEOUT_S,
                                                 max_body=ALARMS_BODY)
            if status == 503 and not body.startswith(b"{"):
                # the leader's server short of memory (app.webserver), not its word that it
                # has no alarm state (a JSON error): asked again, as a request lost on the way
                raise OSError("HTTP 503: the leader is short of memory")
            if status != 200:
                raise ValueError("HTTP %d (not a box's LAN API?)" % status)
            report = parse_alarms(body)
        except (OSError, asyncio.TimeoutError) as e:
            err = "%s: %s" % (type(e).__name__, failure.words(e, 120))
            report = False
        except ValueError as e:
            err = "%s: %s" % (type(e).__name__, failure.words(e, 120))
        if err != self.alarms_error and err is not None:
            self._log("follow: the leader's alarms: %s from %s:%d (%s)" % (
                err, self.host, self.port,
                "its last report stands" if report is False else "every alarm sounds here"))
        self.alarms_error = err
        if report is not False:
            self._reported = True
            from alarms.gate import TICK_AGE_S
            if report is not None and report["age_s"] <= TICK_AGE_S:
                self.heard_at = self._ms()   # its alarm task runs: it is heard (leader_silent)
            self.on_alarms(report)

    def _take(self, readings, wall, skew=0):
        now = self._ms()
        for r in readings:
            # the box ages a reading by its own clock: date it there
            self.on_reading(r if not skew else (r[0] + skew, r[1] + skew) + r[2:])
            self.last_ms = r[0] * 1000   # (its date: r[1] may be its upload, earlier)
            self.prev = p = (r[0], r[2])
            t = self.taken
            t.append(p)
            if len(t) > COUNT:
                t.pop(0)
            if wall is None or wall - r[0] < self.silent_ms // 1000:
                self.fresh_at = now
        a = self.ahead
        if a and readings:   # those now before the last taken: the server sends them no more
            last_s = self.last_ms // 1000
            for i in range(len(a) - 1, -1, -1):
                if a[i][0] <= last_s:
                    del a[i]

    def _remember(self, entry):
        """(unix_s, sgv) of an entry never to take (parse_entries' skip)."""
        a = self.ahead
        if len(a) >= AHEAD_MAX:
            a.pop(0)
        a.append(entry)

    def _move_back(self, now, whose):
        """The last entry taken is dated more than FUTURE_S after the clock: the
        one that dated it ran ahead and was put right (a leader's wrong first NTP
        answer, kept minutes), and its readings since, dated before it, were never
        asked for: leader_silent sounded while the leader was fine. Back to the
        newest entry taken that is not so far ahead, else BACK_S before now. The
        ones taken after it are remembered as first seen too far ahead: taken
        again once within FUTURE_S, the engine would judge an old value as new."""
        was = self.last_ms // 1000
        t = self.taken
        while t and t[-1][0] > now + FUTURE_S:
            self._remember(t.pop())
        self.prev = t[-1] if t else None
        self.last_ms = (t[-1][0] if t else now - BACK_S) * 1000
        self._log("follow: the last entry taken is dated %d s after the %s's clock: asking from %d s before"
                  % (was - now, whose, now - self.last_ms // 1000))

    def check_silent(self):
        heard = self.fresh_at if self.heard_at is None else max(self.fresh_at, self.heard_at)
        self._set("leader_silent", self._ms() - heard > self.silent_ms)

    async def run(self):
        while True:
            if self._pause is not None:  # a TLS handshake holds the loop: not in an alarm's burst
                await self._pause()
            await self.poll()
            await asyncio.sleep(self.next_s)

    def status(self):
        # the newest entry's date on the box's clock, as its readings were dated for the
        # alarms: the status page ages it by that clock (by the server's date, a box 30 min
        # behind its leader said "0 s ago" of a reading 25 min old)
        return {"url": self.scheme + "://" + self.host + ":%d" % self.port,
                "last_entry_unix": None if self.last_ms is None else self.last_ms // 1000 + self.skew,
                "last_error": self.last_error or self.refused, "silent": self.active.get("leader_silent", False),
                "polls": self.polls, "alarms_error": self.alarms_error}
