"""Jobs: what the panel, the Processing algorithms and the command line run, written once.

A job is plain data in (a request with an options dataclass), plain data out (a result),
and one contract in between, whoever runs it:

- **progress**: ``progress(fraction, message)`` with ``fraction`` rising from 0 to 1;
- **cancel**: a shared :class:`engine.cancel.CancelToken`; the job stops soon after it is
  set, raises :class:`engine.errors.Cancelled` and leaves no output behind;
- **errors**: :func:`run_job` turns whatever happened into a :class:`JobOutcome` whose
  message is one line in the words of the place the user is in (``cli``, ``processing``
  or ``panel``): an option is ``--bands`` on the command line, ``the BANDS parameter`` in
  Processing and ``'Bands'`` in the panel.

The QGIS side adds only what QGIS needs: ``qgis_common.job_task.JobTask`` runs a job in a
QgsTask for the panel, ``toolbox.job_runner`` runs it inside a Processing algorithm. This
package never imports ``qgis`` (and, until a job runs, neither numpy nor onnxruntime).
"""

from .base import CLI, PANEL, PLACES, PROCESSING, Job, JobOutcome, run_job

__all__ = ["CLI", "PANEL", "PLACES", "PROCESSING", "Job", "JobOutcome", "run_job"]
