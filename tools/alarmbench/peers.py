"""The peers' low alarms, re-implemented from their sources (host-side only).

Every peer sees the CGM readings one at a time (`conditions(history)` with the
readings so far, newest last, as (minute, mg/dL)) and returns the alarm types
active after that reading, {type: priority}. `run(peer, trace)` turns that
into onsets with the same semantics as tools/replay.py: an onset is printed
when a type becomes active and not again until it has cleared. Nothing is
snoozed or acknowledged (no button presses), so an alarm clears exactly when
its condition ends; between readings nothing changes.

Shared judgement calls:
- Time: each peer is evaluated at the moment a reading arrives (now = the
  reading's time). Wall-clock times are a fixed epoch (EPOCH_S, late 2025)
  plus the trace minute; it matters only for Nightguard and xDrip+, whose
  regressions run on raw epoch timestamps.
- Types: `urgent_low` (high priority) / `low` (medium) for alarms on the
  current value; `urgent_low_soon` (high) for a predicted urgent low; each
  peer's docstring says how its own alarms map. High-side alarms are emitted
  as `high` / `urgent_high` / `check_bg` (not low-type: they only show in
  `all_onsets_per_day`).
"""
import math

EPOCH_S = 1_760_000_000        # 2025-10-09; wall time of trace minute 0


def run(peer, trace):
    """Onsets [{"t", "type", "priority", "sgv"}] of one peer over a trace."""
    history, active, onsets = [], {}, []
    for minute, sgv in trace.readings():
        history.append((minute, sgv))
        now = peer.conditions(history)
        for key, priority in now.items():
            if key not in active:
                kind = key.split("#")[0]     # "type#id": one more alarm of that type
                onsets.append({"t": minute, "type": kind, "priority": priority, "sgv": sgv})
        active = now
    return onsets


class Threshold:
    """Plain threshold alarms: `low` below 70, `urgent_low` below 55 (strict),
    on the current reading."""
    name = "threshold"

    def __init__(self, low=70, urgent=55):
        self.low, self.urgent = low, urgent

    def conditions(self, history):
        sgv = history[-1][1]
        out = {}
        if sgv < self.low:
            out["low"] = "medium"
        if sgv < self.urgent:
            out["urgent_low"] = "high"
        return out


class AR2:
    """Nightscout AR2 (cgm-remote-monitor lib/plugins/ar2.js, forecast() and
    checkForecast()/selectEventType(); lib/plugins/bgnow.js for the two values).

    The two values come from bgnow's four 5-minute buckets, centred on the last
    reading and 5, 10 and 15 minutes before it (so reaching 17.5 minutes back):
    each bucket's mean and time count only readings above 39 (LOW is an error
    there); the current value is the last reading's bucket, the previous one
    the newest older bucket with such a reading. No previous value (three or
    more readings missing) or a LOW last reading: no forecast. Then
    c = ln(BG/140), 6 steps of c(t+1) = -0.723 c(t-1) + 1.716 c(t); each point rounded and clamped to
    [36, 400]; avgLoss = sum over the 6 points of (log10(p/120))^2 / 5 (the
    source divides by min(len-1, 6) = 5 but sums 6 terms; kept). The previous
    value is interpolated to 5 minutes before when the entries are more than
    9 minutes apart. URGENT if avgLoss > 0.10, WARN if > 0.05; the event is
    `low` when the 20-minute point (predicted[3]) is below BG_TARGET_BOTTOM
    (80), `high` above BG_TARGET_TOP (180), else "Check BG".
    Mapping (judgement call): a low forecast at WARN or URGENT is `low`
    (medium); at URGENT it is also `urgent_low_soon` (high). So `low` stays
    active while the level moves between WARN and URGENT, as Nightscout keeps
    one AR2 notification. High side: `high` / `urgent_high`, `check_bg`.
    Raw-BG forecasting (useRaw) is off by default and not modelled. AR2 alone
    is Nightscout's default when no BG_* thresholds are set (ALARM_TYPES=predict),
    so no simple threshold alarm is added."""
    name = "ar2"
    BG_REF, BG_MIN, BG_MAX = 140, 36, 400
    WARN, URGENT = 0.05, 0.10
    TARGET_BOTTOM, TARGET_TOP = 80, 180

    BUCKETS, ERROR_MAX = 4, 39

    def values(self, history):
        """bgnow's (minute, mean) of the current and the previous bucket, or None."""
        last = history[-1][0]
        buckets = [[] for _ in range(self.BUCKETS)]
        for m, g in reversed(history):
            k = next((i for i in range(self.BUCKETS)
                      if last - 2.5 - 5 * i <= m <= last + 2.5 - 5 * i), None)
            if k is None:
                break
            buckets[k].append((m, g))
        found = []
        for sgvs in buckets:
            good = [(m, g) for m, g in sgvs if g > self.ERROR_MAX]
            if not good:
                if not found:
                    return None   # the last reading's bucket has no value
                continue
            mills = max(m for m, _ in good)
            if not found or mills < found[0][0]:
                found.append((mills, sum(g for _, g in good) / len(good)))
                if len(found) == 2:
                    return found[0], found[1]
        return None

    def forecast(self, history):
        """(predicted mg/dL list, avgLoss) or None when AR2 cannot forecast."""
        two = self.values(history)
        if two is None:
            return None
        (m1, cur), (m0, prev) = two
        if cur < self.BG_MIN:
            return None
        elapsed = m1 - m0
        prev5 = cur - (cur - prev) / elapsed * 5 if elapsed > 9 else prev
        if prev5 <= 0:
            return None
        c_prev, c_cur = math.log(prev5 / self.BG_REF), math.log(cur / self.BG_REF)
        predicted = []
        for _ in range(6):
            c_prev, c_cur = c_cur, -0.723 * c_prev + 1.716 * c_cur
            mgdl = math.floor(self.BG_REF * math.exp(c_cur) + 0.5)      # JS Math.round
            predicted.append(max(self.BG_MIN, min(self.BG_MAX, mgdl)))
        size = min(len(predicted) - 1, 6)
        loss = sum(1 / size * math.log10(p / 120) ** 2 for p in predicted)
        return predicted, loss

    def conditions(self, history):
        fc = self.forecast(history)
        if fc is None:
            return {}
        predicted, loss = fc
        if loss <= self.WARN:
            return {}
        urgent = loss > self.URGENT
        in20 = predicted[3]
        if in20 < self.TARGET_BOTTOM:
            out = {"low": "medium"}
            if urgent:
                out["urgent_low_soon"] = "high"
            return out
        if in20 > self.TARGET_TOP:
            return {"urgent_high": "high"} if urgent else {"high": "medium"}
        return {"check_bg": "high" if urgent else "medium"}


def _ols_2(xs, ys):
    """Least squares y = a + b x (centred, as stable as the QR Apache uses);
    returns (a, b, error variance RSS / (n - 2))."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        raise ArithmeticError("singular design")
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - b * mx
    rss = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))
    return a, b, rss / (n - 2)


class XDrip:
    """xDrip+ low alert plus its forecasted low alarm (NightscoutFoundation/xDrip
    @ c2a0ba1).

    Low alert (first-run default, IdempotentMigrations/AlertType): active when
    BG <= lowValue 70 (`AlertType.beyond_threshold`, inclusive). Smart alerting
    (on by default, `Notifications.trendingToAlertEnd` ->
    `BgReading.trendingToAlertEnd`): a new low alert is not started while the
    last 3 readings (oldest within 21 min) rise by > 4 in the last step or > 10
    over two; it is tried again on the next reading. Once started it stays until
    BG > 70 (no snooze). Type `low`, medium.

    Forecasted low (`BgGraphBuilder.addBgReadingValues` "low estimator",
    `Notifications.evaluateLowPredictionAlarm`; the alarm pref
    `predict_lows_alarm` is off by default, switched on here as the issue
    asks): readings newer than now - 12 min (3 readings at a 5-min cadence, x =
    epoch ms) are fitted by 4 OLS models (linear, y ~ ln x, ln y ~ x,
    ln y ~ ln x); the one with the lowest `estimateErrorVariance` (RSS/(n-p),
    each in its own units, as the source compares them) is kept. If its value
    at now + 99 min is <= 70, the crossing is searched backwards in 2.5-min
    steps down to now - 1 min; the alarm is active while the crossing is more
    than 1 and less than 40 minutes away (`low_predict_alarm_level`).
    Judgement calls: fewer than 3 points -> no forecast (Apache's OLS needs
    n > p; the source's exception path leaves no usable model); the noise gate
    (last_noise < 60) never applies, because with raw values only the noise
    fit needs > 5 readings in 20 minutes (4 available), and the traces carry
    no separate filtered signal. Type (judgement call): the forecast predicts
    the low threshold (70), not 55, so it is a `low` onset (medium), kept as
    its own alarm beside the low alert (two xDrip+ notifications, two onsets).
    xDrip+ has no urgent-low alarm by default (the fixed 55 alert's creation
    is commented out), so it never warns an urgent event by definition."""
    name = "xdrip"
    LOW = 70
    HORIZON_S = 99 * 60
    STEP_S = 150
    ALARM_MIN = 40
    FORECAST_TYPE = "low"

    def __init__(self):
        self.low_started = False

    def forecast_minutes(self, history):
        """Minutes to the forecast crossing of 70, or None."""
        now_min = history[-1][0]
        pts = [(m, g) for m, g in history[-4:] if m > now_min - 12]
        if len(pts) < 3 or any(g <= 0 for _, g in pts):
            return None
        xs = [(EPOCH_S + m * 60) * 1000.0 for m, _ in pts]
        ys = [float(g) for _, g in pts]
        lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
        models = (("linear", xs, ys, False), ("log", lx, ys, False),
                  ("exp", xs, ly, True), ("power", lx, ly, True))
        best, best_var = None, 9999999
        for name, fx, fy, logy in models:
            try:
                a, b, var = _ols_2(fx, fy)
            except ArithmeticError:
                continue
            if best is None:
                best = (name, a, b, logy)
            if var < best_var:
                best, best_var = (name, a, b, logy), var
        if best is None:
            return None
        name, a, b, logy = best
        log_x = name in ("log", "power")

        def predict(t_ms):
            v = a + b * (math.log(t_ms) if log_x else t_ms)
            if logy:
                try:
                    return math.exp(v)
                except OverflowError:
                    return float("inf")
            return v

        now_ms = xs[-1]
        t = now_ms + self.HORIZON_S * 1000
        if not predict(t) <= self.LOW:
            return None
        low_at = t
        while t > now_ms:
            t -= self.STEP_S * 1000
            if predict(t) <= self.LOW:
                low_at = t
        return (low_at - now_ms) / 60000.0

    def trending_up(self, history):
        last3 = history[-3:]
        if len(last3) < 3 or history[-1][0] - last3[0][0] > 21:
            return False
        v0, v1, v2 = last3[2][1], last3[1][1], last3[0][1]
        return v0 - v1 > 4 or v0 - v2 > 10

    def conditions(self, history):
        sgv = history[-1][1]
        out = {}
        if sgv <= self.LOW:
            if not self.low_started and not self.trending_up(history):
                self.low_started = True
        else:
            self.low_started = False
        if self.low_started:
            out["low"] = "medium"
        mins = self.forecast_minutes(history)
        if mins is not None and 1 < mins < self.ALARM_MIN:
            # a separate xDrip+ notification: its own identity even when it
            # maps to the same type as the low alert
            out[self.FORECAST_TYPE + "#forecast"] = "medium"
        return out


def _lu_solve_transposed(a, b):
    """Solve a x = b the way Nightguard's `solve` does: LAPACK dgetrf on the
    row-major matrix read as column-major (i.e. on a^T, partial pivoting),
    then dgetrs with TRANS='T'. NaN results become 0, as in the source."""
    n = len(b)
    m = [[a[j][i] for j in range(n)] for i in range(n)]        # a^T
    piv = list(range(n))
    for k in range(n):
        p = max(range(k, n), key=lambda r: abs(m[r][k]))
        if m[p][k] == 0:
            return [0.0] * n                                    # singular: dgetrs gives inf/NaN
        m[k], m[p] = m[p], m[k]
        piv[k], piv[p] = piv[p], piv[k]
        for r in range(k + 1, n):
            m[r][k] /= m[k][k]
            for c in range(k + 1, n):
                m[r][c] -= m[r][k] * m[k][c]
    # a^T = P L U  ->  a = U^T L^T P^T: solve U^T w = b, L^T v = w, x = P v
    w = [0.0] * n
    for i in range(n):
        w[i] = (b[i] - sum(m[j][i] * w[j] for j in range(i))) / m[i][i]
    v = [0.0] * n
    for i in reversed(range(n)):
        v[i] = w[i] - sum(m[j][i] * v[j] for j in range(i + 1, n))
    x = [0.0] * n
    for i in range(n):
        x[piv[i]] = v[i]
    return [0.0 if (xi != xi) else xi for xi in x]


class _NGRegression:
    """Nightguard BaseRegression: normal equations X^T X beta = X^T y on the
    raw features, no normalisation (performNormalization = false)."""

    def __init__(self, features, log_y):
        self.features, self.log_y = features, log_y

    def train(self, xs, ys):
        rows = [[1.0] + self.features(x) for x in xs]
        yv = [math.log(y) for y in ys] if self.log_y else list(ys)
        k = len(rows[0])
        a = [[sum(r[i] * r[j] for r in rows) for j in range(k)] for i in range(k)]
        b = [sum(r[i] * y for r, y in zip(rows, yv)) for i in range(k)]
        self.beta = _lu_solve_transposed(a, b)
        self.xs, self.ys = xs, ys

    def predict(self, x):
        v = sum(f * c for f, c in zip([1.0] + self.features(x), self.beta))
        if self.log_y:
            try:
                return math.exp(v)
            except OverflowError:
                return float("inf")
        return v

    def error_variance(self):
        return sum((y - self.predict(x)) ** 2 for x, y in zip(self.xs, self.ys)) / (2 * len(self.xs))


class Nightguard:
    """Nightguard's low alarms (nightscout/nightguard: domain/AlarmRule.swift
    getAlarmActivation, external/PredictionService.swift,
    external/regression/Regression.swift BestMatchRegression,
    BloodSugarArrayExtension.swift lastConsecutive/trend).

    Prediction: the last 3 readings of the last 27 minutes
    (lastConsecutive(3, maxMissedReadings: 2)); x = epoch seconds (rounded),
    six models (polynomial 1 and 2, [x, ln x], [x, ln x] on ln y, sqrt x,
    exp) solved by the normal equations with LU (no normalisation), the one
    with the lowest training error variance (sum of squared error / 2n, in
    mg/dL) wins. On raw epoch seconds (~1.8e9, x^2 ~ 3e18) the normal
    equations lose most of their digits, so in practice it extrapolates
    almost linearly (issue 4: follow the code, not its comments). 60 values,
    one per minute from now, rounded. minutesTo(low: 80): 0 if the value at
    now is <= 80, else index + 1 of the first value < 80.
    Alarm (defaults: low bound 80, high 180, low prediction on with 15 min,
    smart snooze on, edge detection off): BG < 80 -> `low` unless smart
    snooze (trend ascending over the last 3 readings within 22 min: |last
    delta| > 4 or |sum of 2| > 10 with the last delta up; or the prediction
    reaches >= 80 within 30 min). Else BG > 180 -> `high` (same smart snooze
    mirrored). Else a predicted low (< 80) within 15 minutes -> `low`
    (medium): Nightguard has one alarm at a time and no urgent level, so
    the prediction maps to `low` and it never warns an urgent event. Judgement calls: the no-data alarm and persistent high are not
    modelled; the LU solve is a textbook partial-pivoting LU, not
    Accelerate's exact operation order, so digit-level noise of the
    ill-conditioned fits can differ from an iPhone's."""
    name = "nightguard"
    LOW, HIGH = 80, 180
    PREDICT_MIN = 15
    PREDICT_TYPE = "low"

    MODELS = (
        lambda: _NGRegression(lambda x: [x], False),
        lambda: _NGRegression(lambda x: [x, x ** 2.0], False),
        lambda: _NGRegression(lambda x: [x, math.log(x)], False),
        lambda: _NGRegression(lambda x: [x, math.log(x)], True),
        lambda: _NGRegression(lambda x: [math.sqrt(x)], False),
        lambda: _NGRegression(lambda x: [x], True),
    )

    @staticmethod
    def last_consecutive(history, count, max_missed):
        window = (count + max_missed) * 5 + 2
        now = history[-1][0]
        recent = [h for h in history[-(count + max_missed + 1):] if now - h[0] < window]
        recent = recent[-count:]
        return recent if len(recent) == count else None

    def prediction(self, history):
        """60 predicted values (one per minute from now), or None."""
        pts = self.last_consecutive(history, 3, 2)
        if pts is None or any(g <= 0 for _, g in pts):
            return None
        xs = [float(round((EPOCH_S + m * 60) * 1000 / 1000)) for m, _ in pts]
        ys = [float(g) for _, g in pts]
        best, best_var = None, float("inf")
        for make in self.MODELS:
            model = make()
            model.train(xs, ys)
            var = model.error_variance()
            if var < best_var:
                best, best_var = model, var
        if best is None:
            best = self.MODELS[0]()
            best.train(xs, ys)
        now_s = EPOCH_S + history[-1][0] * 60
        out = []
        for k in range(60):
            v = best.predict(float(now_s + k * 60))
            out.append(float(round(v)) if v == v and abs(v) != float("inf") else 0.0)
        return out

    @staticmethod
    def minutes_to_low(pred, low):
        if not pred:
            return None
        if pred[0] <= low:
            return 0
        for i, v in enumerate(pred):
            if v < low:
                return i + 1
        return None

    @staticmethod
    def minutes_to_high(pred, high):
        if not pred:
            return None
        if pred[0] >= high:
            return 0
        for i, v in enumerate(pred):
            if v > high:
                return i + 1
        return None

    def trend(self, history):
        pts = self.last_consecutive(history, 3, 1)
        if pts is None:
            return 0
        d0, d1 = pts[1][1] - pts[0][1], pts[2][1] - pts[1][1]
        if abs(d1) > 4 or abs(d0 + d1) > 10:
            return 1 if d1 > 0 else -1
        return 0

    def conditions(self, history):
        sgv = history[-1][1]
        too_high, too_low = sgv > self.HIGH, sgv < self.LOW
        pred = self.prediction(history)
        if too_high or too_low:
            trend = self.trend(history)
            if too_low and trend > 0:
                return {}
            if too_high and trend < 0:
                return {}
            if too_high:
                m = self.minutes_to_low(pred, self.HIGH)
                if m is not None and m < 30:
                    return {}
            if too_low:
                m = self.minutes_to_high(pred, self.LOW)
                if m is not None and m < 30:
                    return {}
            return {"high": "medium"} if too_high else {"low": "medium"}
        mins = self.minutes_to_low(pred, self.LOW)
        if mins is not None and mins <= self.PREDICT_MIN:
            return {self.PREDICT_TYPE: "medium"}
        return {}


PEERS = {"threshold": Threshold, "ar2": AR2, "xdrip": XDrip, "nightguard": Nightguard}
