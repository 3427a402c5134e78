# Glucose predictor: a two-state Kalman filter on (glucose, rate of change).
#
# Why a filter: CGM readings carry sensor noise of several mg/dL; raw
# differences between readings turn that into large false rates (false
# predicted lows), while heavy smoothing costs lead time. The filter weighs
# each reading against a physiological model instead:
#   glucose g [mg/dL] moves with the rate r [mg/dL/min];
#   the rate is mean-reverting (a fall does not go on for ever: counter-
#   regulation, rescue carbohydrate, insulin running out) with time constant
#   TAU_MIN, and is driven by white "acceleration" noise of spectral density Q_RATE;
#   each reading = g + white noise of SD SENSOR_SD.
# The prediction h minutes ahead is g + r * TAU * (1 - exp(-h/TAU)), with its
# standard deviation from the filter's covariance plus the process noise.
# State: 5 floats (g, r and the symmetric 2x2 covariance) + 2 times.
import math

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

TAU_MIN = 25.0        # rate mean-reversion time constant of the prediction, minutes
FILTER_TAU_MIN = 25.0  # ... and inside the filter (0: constant-rate model, no damping)
Q_RATE = 0.012        # (mg/dL/min)^2 per minute: how fast the rate may change
Q_LEVEL = 0.5         # (mg/dL)^2 per minute: level wander not explained by the rate
SENSOR_SD = 6.0       # mg/dL, CGM noise
RATE_LIMIT = 5.0      # mg/dL/min: physiological bound on the rate
_RESET_GAP_S = const(1800)   # a gap longer than this restarts the filter
_P0_RATE = 1.0        # initial rate variance after a (re)start


class Predictor:
    def __init__(self):
        self.reset()

    def reset(self):
        self.t_s = None   # time of the last update, seconds (caller's time base)
        self.g = 0.0
        self.r = 0.0
        self.p00 = self.p01 = self.p11 = 0.0
        self.n = 0        # readings since the last (re)start

    def update(self, t_s, sgv):
        """Feed one reading (t_s seconds, sgv mg/dL). Readings older than the
        last one are ignored (returns False)."""
        if self.t_s is not None and t_s <= self.t_s:
            return False
        z = float(sgv)
        if self.t_s is None or t_s - self.t_s > _RESET_GAP_S:
            self.t_s, self.g, self.r, self.n = t_s, z, 0.0, 1
            self.p00, self.p01, self.p11 = SENSOR_SD * SENSOR_SD, 0.0, _P0_RATE
            return True
        self._advance((t_s - self.t_s) / 60.0)
        self.t_s = t_s
        s = self.p00 + SENSOR_SD * SENSOR_SD
        k0, k1 = self.p00 / s, self.p01 / s
        e = z - self.g
        self.g += k0 * e
        self.r += k1 * e
        if self.r > RATE_LIMIT:
            self.r = RATE_LIMIT
        elif self.r < -RATE_LIMIT:
            self.r = -RATE_LIMIT
        p00, p01, p11 = self.p00, self.p01, self.p11
        self.p00 = (1 - k0) * p00
        self.p01 = (1 - k0) * p01
        self.p11 = p11 - k1 * p01
        self.n += 1
        return True

    def _advance(self, dt):
        phi = math.exp(-dt / FILTER_TAU_MIN) if FILTER_TAU_MIN else 1.0
        b = FILTER_TAU_MIN * (1 - phi) if FILTER_TAU_MIN else dt
        self.g += b * self.r
        self.r *= phi
        p00, p01, p11 = self.p00, self.p01, self.p11
        # F P F' with F = [[1, b], [0, phi]], plus process noise
        self.p00 = p00 + 2 * b * p01 + b * b * p11 + Q_LEVEL * dt + Q_RATE * dt * dt * dt / 3
        self.p01 = phi * (p01 + b * p11) + Q_RATE * dt * dt / 2
        self.p11 = phi * phi * p11 + Q_RATE * dt

    def ready(self):
        return self.n >= 2

    def rate(self):
        """Filtered rate of change, mg/dL/min."""
        return self.r

    def level(self):
        return self.g

    def predict(self, minutes, at_s=None):
        """(mean, sd) of glucose `minutes` after the last reading (or after
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
        return mean, math.sqrt(var)

    def save(self):
        return (self.g, self.r, self.p00, self.p01, self.p11, self.n)

    def restore(self, t_s, values):
        self.t_s = t_s
        self.g, self.r, self.p00, self.p01, self.p11, self.n = values
