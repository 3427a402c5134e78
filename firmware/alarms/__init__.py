# Alarm engine (pure): settings.validate() -> AlarmEngine(settings).
# engine.py: rules and state; predict.py: the glucose predictor; settings.py:
# defaults and bounds; persist.py: save()/restore() for RTC memory.
