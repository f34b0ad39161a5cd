# Django's date output ({{ value }}, {{ value|date }}) in the console's one format, the lists'
# (console/display.py), instead of "Nov. 27, 2026, 7:37 a.m.". FORMAT_MODULE_PATH points here.
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
