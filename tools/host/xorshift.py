# Deterministic random numbers for the host tools (virtual radio, virtual
# transmitter, codec fuzzer): Marsaglia's xorshift32, the same sequence on
# CPython and MicroPython for a seed (MicroPython's `random` has no instances,
# and a simulation must replay exactly from its seed).


class Rng:
    def __init__(self, seed=1, salt=1):
        self.s = (seed * 2654435761 + salt) & 0xFFFFFFFF or 1

    def u32(self):
        x = self.s
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.s = x
        return x

    def below(self, n):
        """0 <= k < n (0 when n <= 0)."""
        return self.u32() % n if n > 0 else 0

    def random(self):
        """0 <= x < 1."""
        return self.u32() / 4294967296.0

    def chance(self, p):
        return p > 0 and self.u32() < p * 4294967296

    def bytes(self, n):
        return bytes(self.u32() & 0xFF for _ in range(n))
