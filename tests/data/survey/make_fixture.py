"""Writes respondents.csv, the small synthetic wave the R reference values are computed from.

Run once from the project folder: .venv/bin/python tests/data/survey/make_fixture.py
SYNTHETIC: seeded draws, no survey data. Recruiters are over-represented (about 30%) so that
raking to a 15% recruiter share gives unequal weights.
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20151)
n = 150
recruiter = rng.random(n) < 0.3
seniority = rng.choice(["board", "director", "senior_manager"], n, p=[0.35, 0.35, 0.30])
purpose = np.where(
    recruiter,
    rng.choice(["find_role", "hire", "clients", "network"], n, p=[0.1, 0.6, 0.1, 0.2]),
    rng.choice(["find_role", "hire", "clients", "network"], n, p=[0.3, 0.1, 0.3, 0.3]),
).astype(object)
purpose[rng.choice(n, 4, replace=False)] = None
invites = (rng.random(n) < np.where(recruiter, 0.8, 0.35)).astype(object)
invites[rng.choice(n, 3, replace=False)] = None
pending = np.round(np.exp(rng.normal(np.where(recruiter, 7.0, 6.6), 1.0)))
pending[rng.choice(n, 6, replace=False)] = np.nan
eta = -0.8 + 1.4 * recruiter + 0.5 * (seniority == "board") - 0.3 * (seniority == "director")
accepts = rng.random(n) < 1 / (1 + np.exp(-eta))
frame = pd.DataFrame(
    {
        "respondent_id": [f"R{i:03d}" for i in range(1, n + 1)],
        "wave": "2015",
        "recruiter": recruiter,
        "seniority": seniority,
        "purpose": purpose,
        "invites_strangers": invites,
        "pending_invitations": pending,
        "accepts_strangers": accepts,
    }
)
frame.to_csv(Path(__file__).with_name("respondents.csv"), index=False, lineterminator="\n")
