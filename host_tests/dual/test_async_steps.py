# async_steps.py's drivers fail a test whose coroutine does not run as the test's
# stand-ins assume: one that waits, returns where the test's stand-in should end it,
# or ends on another exception. Runs on both runtimes.
from async_steps import Sleep, finish, run_until


class Stop(Exception):
    pass


async def gives(v):
    return v


async def waits():
    await Sleep(1)


async def stops():
    raise Stop()


def _failure(fn):
    try:
        fn()
    except AssertionError as e:
        return str(e)
    raise AssertionError("no failure")


def test_finish_gives_the_result_and_fails_a_coroutine_that_waits():
    assert finish(gives(7)) == 7 and finish(gives(None)) is None
    assert _failure(lambda: finish(waits())) == "the coroutine waited"


def test_run_until_ends_at_the_tests_exception_only():
    assert run_until(stops(), Stop) is None
    assert _failure(lambda: run_until(gives(1), Stop)) == "the coroutine returned"
    assert _failure(lambda: run_until(waits(), Stop)) == "the coroutine waited"
    try:
        run_until(stops(), OSError)
    except Stop:
        pass
    else:
        raise AssertionError("another exception ended the run")
