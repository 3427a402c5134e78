# Shared steps of the codec's dual tests (CPython and MicroPython).
from dexcom.errors import DexcomError


def raises(fn, *args, **kw):
    """Call fn; return the DexcomError message it raises (fail otherwise)."""
    want = kw.pop("contains", None)
    try:
        fn(*args)
    except DexcomError as e:
        msg = str(e)
        assert msg, "empty error message"
        if want is not None:
            assert want in msg, "%r not in %r" % (want, msg)
        return msg
    raise AssertionError("%s%r did not raise DexcomError" % (getattr(fn, "__name__", fn), args))
