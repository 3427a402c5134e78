# The virtual Dexcom G6 transmitter (host only; runs on the MicroPython unix
# port in the same process as the firmware, on the virtual radio `vradio`).
#
#   import vtime; vtime.install(0)           # first
#   import vtx
#   dev = vtx.start("../shared/traces/adult_001.csv", transmitter_id="8G1234",
#                   faults="", seed=1, start_minute=0)
#   dev.tx.set_faults("miss:0.05,cut:0.02")  # change faults at any time
#   dev.tx.reading(k), dev.tx.window_us(k)   # the truth, for checks
#
# start() installs the virtual `bluetooth` module if needed, puts a second
# controller on the process's air (the firmware's bluetooth.BLE() is the
# first) and schedules the wake-ups: reading k is taken at virtual time
# dev.tx.window_us(k) (the first `first_window_s` = 60 s after start, then
# every 300 s) and the transmitter advertises a random 0..jitter_ms later
# for adv_ms. Fault names and rates: vtx/faults.py. Protocol: vtx/transmitter.py.
from vtx import faults  # noqa: F401


def start(trace_path, transmitter_id="8G1234", faults="", seed=1, start_minute=0,
          adv_interval_ms=None, **options):
    """Start a virtual transmitter; returns the VirtualTransmitter (its
    protocol state is `.tx`, its controller `.ble`). adv_interval_ms: how often
    it advertises while awake (default peripheral.ADV_INTERVAL_US). options:
    age_s, first_window_s, jitter_ms, adv_ms, session_age_s (see Transmitter)."""
    import vtime
    import vradio
    from vtx import trace
    from vtx.transmitter import Transmitter
    from vtx.peripheral import VirtualTransmitter
    vradio.install()
    values = trace.load(trace_path)
    now = vtime.monotonic_us()
    now -= now % 1000000  # whole seconds: dex time and wall time tick together
    tx = Transmitter(values, transmitter_id, faults, seed, start_minute, t0_us=now, **options)
    ctrl = vradio.Controller(vradio.default_air(), name=tx.name)
    dev = VirtualTransmitter(ctrl, tx, adv_interval_ms)
    dev.start()
    return dev
