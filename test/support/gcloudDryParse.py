"""Runs many gcloud command lines through the installed gcloud CLI in one Python process.

gcloud is a Python program: `gcloud ARGS` is gcloud.py calling gcloud_main, which builds the CLI
(`CreateCLI`) and runs `cli.Execute(ARGS)`. This does the same, once per line of stdin (a JSON array of
arguments), so a hundred commands cost one start-up (about a second) instead of a hundred. With no
credentials, a command whose arguments parse stops at "You do not currently have an active account";
one that does not parse exits 2 ("unrecognized arguments", "Invalid choice", a bad value). Prints one
JSON line per command: {"code": exit code, "stderr": what gcloud printed}.
"""
import contextlib
import io
import json
import os
import signal
import sys

SDK = os.environ['GCLOUD_SDK_ROOT']
sys.path.insert(0, os.path.join(SDK, 'lib', 'third_party'))
sys.path.insert(0, os.path.join(SDK, 'lib'))

from googlecloudsdk import gcloud_main  # noqa: E402
from googlecloudsdk.core import log  # noqa: E402

TIMEOUT_SECONDS = int(os.environ.get('GCLOUD_COMMAND_TIMEOUT', '60'))


class Timeout(Exception):
  pass


def on_alarm(signum, frame):
  raise Timeout()


signal.signal(signal.SIGALRM, on_alarm)
cli = gcloud_main.CreateCLI([])
answers = sys.stdout
for line in sys.stdin:
  args = json.loads(line)
  out, err = io.StringIO(), io.StringIO()
  code = 0
  signal.alarm(TIMEOUT_SECONDS)
  with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    log.Reset()
    try:
      cli.Execute(args)
    except SystemExit as exit:
      code = exit.code if isinstance(exit.code, int) else 1
    except Timeout:
      code = 124
      err.write('timed out after %d s' % TIMEOUT_SECONDS)
    except BaseException as error:  # gcloud handles its own errors; anything else is reported as is
      code = 3
      err.write('%s: %s' % (type(error).__name__, error))
  signal.alarm(0)
  answers.write(json.dumps({'code': code, 'stderr': err.getvalue()}) + '\n')
  answers.flush()
