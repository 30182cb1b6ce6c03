"""The job an `rq worker` runs in the tests (enqueued by enqueue_jobs.py --rq): a little work on
the text, as a real task does."""

import hashlib


def count_words(text):
    words = text.lower().split()
    return len(words), hashlib.sha256(" ".join(words).encode()).hexdigest()
