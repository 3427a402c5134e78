# The one error type of the Dexcom codec.


class DexcomError(ValueError):
    """A message, frame, argument or backfill stream the codec refuses.

    The message says what was wrong (too short, too long, wrong opcode, bad
    CRC, unknown opcode, bad transmitter ID...). A parser either returns
    fields from a message that passed every check or raises this: a corrupt
    message never yields a reading."""
