# A board with its own battery (boards/<name>.json "power"): keep it on when USB
# power goes, and warn before the battery runs out, so a pulled plug or a power
# cut at night ends in an alarm instead of a box that goes quiet.
#
#   power.hold(board)                         # at start: drive the hold pin high
#   w = power.BatteryWatch(); w.add(mv)       # pure: True/False when low changes, else None
#   await power.watch(board, on_change)       # supervised task: on_change(low, mv)
#
# Thresholds are for a single Li-ion cell: below LOW_MV the box has minutes
# left (ESP32 boards brown out near 3.3 V); it clears only above OK_MV, so a
# cell that recovers a little when the load drops does not flap. A box on USB
# keeps its cell charged (~4.1-4.2 V) and never reaches LOW_MV.
import asyncio

LOW_MV = 3550
OK_MV = 3700
SAMPLES = 5          # median of the last readings: one noisy ADC read decides nothing
FIRST_DECISION = 3   # readings before the first verdict (a median of 1 or 2 is one read)
PERIOD_S = 30


def hold(board):
    pin = (board.get("power") or {}).get("hold_pin")
    if pin is not None:
        import machine
        # hold: the pad keeps its level through a reset (gpio_hold_en; machine_pin.c).
        # Without it a reset (the watchdog, a settings save, a panic) lets the pin fall
        # while MicroPython boots, and on battery the board switches itself off for good
        # (the PLUS2 must see it high within ~100 ms)
        machine.Pin(pin, machine.Pin.OUT, value=1, hold=True)
    return pin


class BatteryWatch:
    def __init__(self, low=False):
        self.recent = []
        self.low = low

    def add(self, mv):
        self.recent.append(mv)
        del self.recent[:-SAMPLES]
        if len(self.recent) < FIRST_DECISION:
            return None
        m = sorted(self.recent)[len(self.recent) // 2]
        low = m < LOW_MV or (self.low and m <= OK_MV)  # clears only above OK_MV
        if low == self.low:
            return None
        self.low = low
        return low


async def watch(board, on_change, period_s=PERIOD_S, low=False):
    # low: the warning is up (a watch restarted after a failure): it is cleared above
    # OK_MV; a watch that began as "not low" saw no change there, and it sounded on
    pw = board.get("power") or {}
    pin = pw.get("battery_adc_pin")
    if pin is None:
        return
    import machine
    adc = machine.ADC(machine.Pin(pin), atten=machine.ADC.ATTN_11DB)
    divider = pw.get("battery_divider", 1)
    w = BatteryWatch(low)
    while True:
        mv = adc.read_uv() * divider // 1000
        changed = w.add(mv)
        if changed is not None:
            on_change(changed, mv)
        await asyncio.sleep(period_s)
