"""Dispute mediation (矛盾纠纷调处化解): mediation bodies, mediators, disputes, sessions, agreements,
referrals, follow-ups, monthly screening, risk warnings and the dispute deadline.

Models live in `models.py` and are imported by `disputes/models.py`, so they belong to the
`disputes` app (one migration history).
"""
