#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    # The local default's database and keys, before the settings (which only read) load.
    from console.local_default import prepare

    prepare()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
