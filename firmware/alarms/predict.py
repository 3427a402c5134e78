# Glucose predictor: a three-state Kalman filter on (glucose g, rate r,
# sensor error n).
#
# Why a filter: CGM readings carry sensor error of several mg/dL that is not
# white: it drifts slowly (calibration/biofouling/ISF effects; real Dexcom
# error and simglucose's sensor model are both strongly autocorrelated over
# tens of minutes). A white-noise filter mistakes that drift for glucose
# motion (false predicted lows) while heavy smoothing costs lead time. Here
# the drift is a state of its own:
#   g [mg/dL] moves with r [mg/dL/min]; r is mean-reverting (a fall does not
#     go on for ever: counter-regulation, rescue carbohydrate, insulin running
#     out) with time constant TAU_MIN and driven by white noise Q_RATE;
#   n is the sensor error: AR(1) with time constant NOISE_TAU_MIN and
#     stationary SD NOISE_SD (first-order Gauss-Markov);
#   each reading z = g + n + white noise of SD WHITE_SD.
# predict(h) gives the mean and SD of the TRUE glucose g h minutes ahead
# (the sensor error is excluded: it is what the reading gets wrong).
# State: 9 floats (g, r, n and their symmetric 3x3 covariance) + time + count.
import math

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

TAU_MIN = 30.0        # rate mean-reversion time constant, minutes
Q_RATE = 0.010        # (mg/dL/min)^2 per minute: how fast the rate may change
Q_LEVEL = 0.3         # (mg/dL)^2 per minute: level wander not explained by the rate
NOISE_SD = 9.0        # mg/dL: SD of the slowly drifting sensor error
NOISE_TAU_MIN = 30.0  # minutes: its correlation time
WHITE_SD = 3.0        # mg/dL: reading-to-reading (white) sensor noise
RATE_LIMIT = 5.0      # mg/dL/min: physiological bound on the rate
_RESET_GAP_S = const(1800)   # a gap longer than this restarts the filter
_P0_RATE = 1.0        # initial rate variance after a (re)start
_P0_LEVEL = 10000.0   # initial level variance before the first reading (uninformative)


class Predictor:
    def __init__(self):
        self.reset()

    def reset(self):
        self.t_s = None   # time of the last update, seconds (caller's time base)
        # the state before the newest reading (its time, save()) and that reading (t, sgv):
        # a reading between the two is run through again (_insert)
        self._before = self._last = None
        self.g = self.r = self.n = 0.0
        # covariance of (g, r, n), upper triangle
        self.p00 = self.p01 = self.p02 = self.p11 = self.p12 = self.p22 = 0.0
        self.n_read = 0   # readings since the last (re)start

    def update(self, t_s, sgv):
        """Feed one reading (t_s seconds, sgv mg/dL). A reading older than the
        last one is taken only between the last two (_insert); else ignored
        (returns False)."""
        if self.t_s is not None and t_s <= self.t_s:
            return self._insert(t_s, sgv)
        # all or nothing: on the board every float operation allocates, and a
        # MemoryError half way must not leave a half-updated filter
        before_t, before, kept = self.t_s, self.save(), (self._before, self._last)
        try:
            z = float(sgv)
            if self.t_s is None or t_s - self.t_s > _RESET_GAP_S:
                self.reset()
                self.g = z
                self.p00, self.p11, self.p22 = _P0_LEVEL, _P0_RATE, NOISE_SD * NOISE_SD
            else:
                self._advance((t_s - self.t_s) / 60.0)
            self._correct(z)
            self.n_read += 1
        except MemoryError:
            self.restore(before_t, before)
            self._before, self._last = kept
            raise
        self.t_s = t_s
        self._before, self._last = (before_t, before), (t_s, sgv)
        return True

    def _insert(self, t_s, sgv):
        # After a gap the link delivers the session's live reading first, then the
        # backfill of the gap, oldest first: each is run through the filter before
        # the live reading again. Ignored, the backfill was lost: after a power cut
        # during a fall the filter knew one reading and then a levelling, and the
        # urgent low's warning never came
        b, last = self._before, self._last
        if b is None or t_s >= last[0] or (b[0] is not None and t_s <= b[0]):
            return False
        now_t, now = self.t_s, self.save()
        try:
            self.restore(b[0], b[1])
            self.update(t_s, sgv)
            self.update(last[0], last[1])
        except MemoryError:
            self.restore(now_t, now)
            self._before, self._last = b, last
            raise
        return True

    def _correct(self, z):
        # observation z = g + n + v: H = [1, 0, 1]
        h0 = self.p00 + self.p02
        h1 = self.p01 + self.p12
        h2 = self.p02 + self.p22
        s = h0 + h2 + WHITE_SD * WHITE_SD
        e = z - self.g - self.n
        self.g += h0 / s * e
        self.r += h1 / s * e
        self.n += h2 / s * e
        if self.r > RATE_LIMIT:
            self.r = RATE_LIMIT
        elif self.r < -RATE_LIMIT:
            self.r = -RATE_LIMIT
        self.p00 -= h0 * h0 / s
        self.p01 -= h0 * h1 / s
        self.p02 -= h0 * h2 / s
        self.p11 -= h1 * h1 / s
        self.p12 -= h1 * h2 / s
        self.p22 -= h2 * h2 / s

    def _advance(self, dt):
        phi = math.exp(-dt / TAU_MIN)
        b = TAU_MIN * (1 - phi)
        a = math.exp(-dt / NOISE_TAU_MIN)
        self.g += b * self.r
        self.r *= phi
        self.n *= a
        p01, p11, p12 = self.p01, self.p11, self.p12
        # F P F' with F = [[1, b, 0], [0, phi, 0], [0, 0, a]], plus process noise
        self.p00 += 2 * b * p01 + b * b * p11 + Q_LEVEL * dt + Q_RATE * dt * dt * dt / 3
        self.p01 = phi * (p01 + b * p11) + Q_RATE * dt * dt / 2
        self.p02 = a * (self.p02 + b * p12)
        self.p11 = phi * phi * p11 + Q_RATE * dt
        self.p12 = phi * a * p12
        self.p22 = a * a * self.p22 + NOISE_SD * NOISE_SD * (1 - a * a)

    def ready(self):
        return self.n_read >= 2

    def rate(self):
        """Filtered rate of change, mg/dL/min."""
        return self.r

    def level(self):
        """Filtered true glucose now (the reading minus the estimated sensor error)."""
        return self.g

    def predict(self, minutes, at_s=None):
        """(mean, sd) of true glucose `minutes` after the last reading (or after
        at_s, when given, counting the time already gone by since then)."""
        h = minutes
        if at_s is not None and self.t_s is not None:
            h += (at_s - self.t_s) / 60.0
        if h < 0:
            h = 0.0
        b = TAU_MIN * (1 - math.exp(-h / TAU_MIN))
        mean = self.g + b * self.r
        var = (self.p00 + 2 * b * self.p01 + b * b * self.p11
               + Q_LEVEL * h + Q_RATE * h * h * h / 3)
        return mean, math.sqrt(var if var > 0 else 0.0)

    def save(self):
        """The filter state: 9 floats and the reading count (see restore)."""
        return (self.g, self.r, self.n, self.p00, self.p01, self.p02, self.p11, self.p12,
                self.p22, self.n_read)

    def restore(self, t_s, values):
        self.t_s = t_s
        self._before = self._last = None   # what came before is not known
        (self.g, self.r, self.n, self.p00, self.p01, self.p02, self.p11, self.p12,
         self.p22, self.n_read) = values
