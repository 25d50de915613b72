"""The Cloud Run canary controller: plain Python on the Cloud Run Admin v2 and Monitoring v3 clients.

`python -m ci.canary deploy ...` (the `deploy` pipeline runs exactly this in a pinned container).
The decisions live in pure modules (`ladder`, `verdict`, `lease`), the Google calls in `cloud`,
the sequence in `controller`. No Dagger import anywhere here.
"""
