"""A job of ``engine.jobs`` inside a Processing algorithm: the feedback's progress and cancel,
and every failure as one QgsProcessingException worded for Processing."""

from __future__ import annotations

from qgis.core import QgsProcessingException, QgsProcessingFeedback

from ..engine.cancel import CancelToken
from ..engine.errors import EngineError
from ..engine.jobs import PROCESSING, Job, run_job
from ..engine.jobs.base import word_error


def processing_error(error: EngineError, job: Job) -> QgsProcessingException:
    """An error found before the job ran (a parameter), in Processing's words."""
    return QgsProcessingException(word_error(error, job.specs, PROCESSING))


def run_in_processing(job: Job, feedback: QgsProcessingFeedback | None):
    """The job's result; raises QgsProcessingException (one line) when it did not finish."""
    feedback = feedback or QgsProcessingFeedback()
    token = CancelToken()
    feedback.canceled.connect(token.cancel)
    if feedback.isCanceled():
        token.cancel()
    last_message = [""]

    def progress(fraction: float, message: str = "") -> None:
        if feedback.isCanceled():
            token.cancel()
        feedback.setProgress(100.0 * float(fraction))
        if message and message != last_message[0]:
            last_message[0] = message
            feedback.setProgressText(message)

    try:
        outcome = run_job(job, PROCESSING, progress, token)
    finally:
        try:
            feedback.canceled.disconnect(token.cancel)
        except TypeError:
            pass
    if outcome.ok:
        return outcome.result
    if outcome.traceback:
        feedback.pushDebugInfo(outcome.traceback)
    raise QgsProcessingException(outcome.message)
