# glucose.conditions, the low-side rules at their boundaries, with a stand-in for the
# filter (its level, rate and prediction set by hand): what each rule raises (2),
# holds (1) or lets go, on one reading. Runs on CPython and MicroPython.
from alarms import settings, glucose
from alarms.settings import HYST_LOW

S = settings.validate({})
UL, LOW = S["urgent_low"], S["low"]


class Filter:
    """The predictor's face that conditions() reads."""

    def __init__(self, level, rate, predicted, sd=0.0, ready=True):
        self._level, self._rate, self._m, self._sd, self._ready = level, rate, predicted, sd, ready

    def ready(self):
        return self._ready

    def rate(self):
        return self._rate

    def level(self):
        return self._level

    def predict(self, minutes, at_s=None):
        return self._m, self._sd


class Engine:
    """The engine's state that conditions() reads."""

    def __init__(self, pred, active=(), rate_before=0.0):
        self._pred, self._rate_before = pred, rate_before
        self._alarms = dict((k, [0, 0, 0, "", None, 0, 2, None]) for k in active)  # sounding
        self._recent, self._above_since, self._now, self._last_t = [], None, 0, None


def low_side(sgv, pred, active=(), rate_before=0.0, **user):
    s = settings.validate(user) if user else S
    out = glucose.conditions(Engine(pred, active, rate_before), sgv, 0, s)
    return dict((k, v) for k, v in out.items() if k in ("urgent_low", "urgent_low_soon", "low"))


def test_urgent_low_soon_raises_on_a_steep_enough_fall_predicted_under_urgent_low():
    # (the low is off in these two tests: its own prediction would raise it too)
    falling = Filter(level=UL + 30, rate=-1.0, predicted=UL - 1)
    assert low_side(UL + 30, falling, low_enabled=False) == {"urgent_low_soon": 2}
    # predicted exactly at urgent low: not under it (held only while active)
    assert low_side(UL + 30, Filter(UL + 30, -1.0, UL), low_enabled=False) == {"urgent_low_soon": 1}
    assert low_side(UL + 30, Filter(UL + 30, -1.0, UL + HYST_LOW), low_enabled=False) == {}
    # a fall too gentle (under ULS_MIN_FALL), or a level too high above the floor
    gentle = -glucose.ULS_MIN_FALL + 0.01
    assert low_side(UL + 30, Filter(UL + 30, gentle, UL - 1), low_enabled=False) == {"urgent_low_soon": 1}
    assert low_side(UL + 30, Filter(UL + 30, -glucose.ULS_MIN_FALL, UL - 1),
                    low_enabled=False) == {"urgent_low_soon": 2}
    assert low_side(UL + 50, Filter(UL + glucose.ULS_LEVEL_CAP, -1.0, UL - 1),
                    low_enabled=False) == {"urgent_low_soon": 1}
    # switched off, or a filter not ready yet: nothing predicted
    assert low_side(UL + 30, falling, urgent_low_soon=False, low_enabled=False) == {}
    assert low_side(UL + 30, Filter(UL + 30, -1.0, UL - 1, ready=False), low_enabled=False) == {}


def test_urgent_low_soon_holds_within_its_hysteresis_and_lets_go_above_it():
    # active: held while the prediction or the reading is under urgent_low + HYST_LOW
    off = {"low_enabled": False}
    flat = Filter(level=UL + 30, rate=0.0, predicted=UL + HYST_LOW - 1)
    assert low_side(UL + 30, flat, active=["urgent_low_soon"], **off) == {"urgent_low_soon": 1}
    up = Filter(level=UL + 30, rate=0.5, predicted=UL + HYST_LOW + 20)
    assert low_side(UL + HYST_LOW - 1, up, active=["urgent_low_soon"],
                    **off) == {"urgent_low_soon": 1, "urgent_low": 1}
    # both at urgent_low + HYST_LOW: let go
    edge = Filter(level=UL + 30, rate=0.0, predicted=UL + HYST_LOW)
    assert low_side(UL + HYST_LOW, edge, active=["urgent_low_soon"], **off) == {}


def test_a_reading_under_low_raises_low_only_when_the_filter_agrees():
    # level under low + LOW_LEVEL_MARGIN, or already falling at LOW_CONFIRM_FALL
    # before this reading; a lone dip from a steady level waits
    m = glucose.LOW_LEVEL_MARGIN
    assert low_side(LOW - 1, Filter(LOW + m - 1, 0.0, LOW + 5)) == {"low": 2}
    assert low_side(LOW - 1, Filter(LOW + m, 0.0, LOW + 5)) == {"low": 1}
    f = glucose.LOW_CONFIRM_FALL
    assert f == 1.0   # README "Alarms": "already falling at 1 mg/dL/min or faster before it"
    assert low_side(LOW - 1, Filter(LOW + 20, 0.0, LOW + 5), rate_before=-f) == {"low": 2}
    assert low_side(LOW - 1, Filter(LOW + 20, 0.0, LOW + 5), rate_before=-f + 0.01) == {"low": 1}
    # a filter not ready yet: the reading alone decides
    assert low_side(LOW - 1, Filter(LOW + 20, 0.0, LOW - 30, ready=False)) == {"low": 2}


def test_low_predicted_only_from_a_ready_filter_and_with_low_minutes_set():
    # a predicted low needs a fall of LOW_MIN_FALL and a prediction under low
    # (at LOW + 5 the reading itself only holds an active low: HYST_LOW is 10)
    assert low_side(LOW + 5, Filter(LOW + 5, -glucose.LOW_MIN_FALL, LOW - 1)) == {"low": 2}
    assert low_side(LOW + 5, Filter(LOW + 5, -glucose.LOW_MIN_FALL + 0.01, LOW - 1)) == {"low": 1}
    assert low_side(LOW + 5, Filter(LOW + 5, -1.0, LOW)) == {"low": 1}
    # the prediction of a filter that is not ready is not used
    assert low_side(LOW + 5, Filter(LOW + 5, -1.0, LOW - 30, ready=False)) == {"low": 1}
    assert low_side(LOW + 5, Filter(LOW + 5, -1.0, LOW - 30), low_minutes=0,
                    urgent_low_soon=False) == {"low": 1}
    assert low_side(LOW + HYST_LOW, Filter(LOW + 10, 0.0, LOW + 10)) == {}


def test_a_lower_alarms_condition_keeps_the_higher_one_active_instead_of_starting():
    # urgent-low-soon active and held by nothing of its own: the low's condition keeps it
    # (one clear at the end of the episode, not a new low onset)
    rising = Filter(level=LOW - 5, rate=0.5, predicted=UL + HYST_LOW + 5)
    assert low_side(LOW - 5, rising, active=["urgent_low_soon"]) == {"urgent_low_soon": 1}
    # the urgent low raising: neither lesser alarm starts
    assert low_side(UL - 1, Filter(UL - 1, -1.0, UL - 10)) == {"urgent_low": 2}


def rates(recent, active=(), **user):
    """fall/rise of conditions() over the engine's window `recent` ((t_s, sgv), oldest first)."""
    given = dict(fall_enabled=True, rise_enabled=True, low_enabled=False, high_enabled=False,
                 urgent_high_enabled=False)
    given.update(user)
    s = settings.validate(given)
    eng = Engine(Filter(120, 0.0, 120), active)
    eng._recent = recent
    out = glucose.conditions(eng, recent[-1][1], recent[-1][0], s)
    return dict((k, v) for k, v in out.items() if k in ("fall", "rise"))


def test_fall_and_rise_raise_at_their_rate_hold_from_seven_tenths_of_it_and_not_below():
    # the plain rate over 15 min (4 readings): 3 mg/dL/min is 45 mg/dL in 15 min
    def window(per_5min):
        return [(i * 300, 200 + i * per_5min) for i in range(4)]
    assert rates(window(-15)) == {"fall": 2}                 # -3.0: the default fall_rate
    assert rates(window(-14)) == {"fall": 1}                 # -2.8
    assert rates(window(-11)) == {"fall": 1}                 # -2.2 (0.73 of it)
    assert rates(window(-10)) == {}                          # -2.0 (0.67 of it)
    assert rates(window(15)) == {"rise": 2}
    assert rates(window(11)) == {"rise": 1}
    assert rates(window(10)) == {}
    assert rates(window(-10), fall_rate=2.0) == {"fall": 2}
    assert rates(window(-15), fall_enabled=False) == {}
    # three readings over 10 minutes are enough (a minute of slack for late ones)
    assert rates([(0, 200), (300, 185), (600, 170)]) == {"fall": 2}
    assert rates([(60, 200), (330, 185), (600, 173)]) == {"fall": 2}      # 9 min: -3.0
    assert rates([(61, 200), (330, 185), (600, 173)]) == {}               # under 9 min: no rate
    # a window under 10 minutes gives no rate: nothing starts, an active fall holds
    # unless the last two readings turn
    short = [(0, 200), (300, 185)]
    assert rates(short) == {}
    assert rates(short, active=["fall"]) == {"fall": 1}
    assert rates([(0, 200), (300, 210)], active=["fall"]) == {}
    assert rates([(0, 200), (300, 192)], active=["fall"]) == {}           # -1.6: slowed under 0.7
    assert rates([(0, 200), (300, 189)], active=["fall"]) == {"fall": 1}  # -2.2
    assert rates([(0, 200), (300, 208)], active=["rise"]) == {}
    assert rates([(0, 200), (300, 211)], active=["rise"]) == {"rise": 1}
    assert rates([(0, 200)], active=["rise"]) == {"rise": 1}              # one reading: no turn seen
