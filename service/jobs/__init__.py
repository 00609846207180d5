"""Jobs: many articles submitted at once, extracted by Celery workers, state kept in Redis.

``store`` keeps a job's requests, result lines and counts in Redis; ``tasks`` is the Celery
application the API enqueues to and ``khabar worker`` runs; ``remote`` is the client side of
``khabar batch --remote``.
"""
