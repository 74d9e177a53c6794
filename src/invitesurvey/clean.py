"""Quality control: exclusions in a fixed order, personal data dropped, typed analysis data.

Every raw row ends up either in the clean data or in the exclusions table with its rule and
reason, so ``analysed + excluded == raw`` always holds and the flow table shows each step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from invitesurvey.codebook import Codebook, derive, typed
from invitesurvey.formats._common import PARADATA

RULES = ("preview_or_test", "incomplete", "duplicate", "speeder")
# A duration that is not finite (``inf``) or over this many seconds (30 days) is not a time
# anyone spent on the questionnaire: it is read as unknown (no speeder test, not in the
# median) and counted in recodes.csv under rule ``duration_unknown``.
MAX_DURATION_S = 30 * 24 * 3600.0
EXCLUSION_COLUMNS = ["respondent_id", "source_row", "rule", "detail"]
FLOW_COLUMNS = ["step", "rule", "rows_in", "excluded", "rows_out"]


@dataclass(frozen=True)
class QC:
    """Thresholds from ``qc:`` in config/config.yaml."""

    exclude_before_fieldwork: bool = True
    min_progress: float = 100.0
    duplicate_keys: tuple[str, ...] = ("email",)
    speeder_fraction: float = 1 / 3
    min_duration_s: float = 0.0

    @classmethod
    def from_config(cls, qc: dict) -> QC:
        return cls(**{**qc, "duplicate_keys": tuple(qc.get("duplicate_keys", ("email",)))})


@dataclass(frozen=True)
class Cleaned:
    data: pd.DataFrame
    exclusions: pd.DataFrame
    flow: pd.DataFrame
    recodes: pd.DataFrame | None = None


def complete_paradata(frame: pd.DataFrame, book: Codebook) -> pd.DataFrame:
    """Fill in the paradata a format does not export, from what it does.

    Without a progress column, progress is the position of the last answered question
    (questionnaire order, a select-all or grid counting as answered when any part is) as a
    percentage: a break-off leaves every later question blank,
    while item non-response leaves later answers in place. The two cannot be told apart for
    the last question: a respondent who skipped only it reads as breaking off before it, so
    such exports count a response as complete only when its last closed question is answered.
    Without a finished flag, a response is finished at 100% progress. Without a status, every
    row is a response.
    """
    out = frame.copy(deep=False)  # copy on write: the columns set here are new, not the rest
    if "respondent_id" not in out:
        out["respondent_id"] = "row" + out["source_row"].astype("string")
    out["respondent_id"] = out["respondent_id"].astype("string")
    if "duration_s" not in out:
        if {"start_time", "end_time"} <= set(out):
            seconds = (out["end_time"] - out["start_time"]).dt.total_seconds()
            out["duration_s"] = seconds.astype("Float64")
        else:
            out["duration_s"] = pd.Series(pd.NA, index=out.index, dtype="Float64")
    out["duration_s"] = out["duration_s"].astype("Float64").mask(_absurd(out["duration_s"]))
    if "progress" not in out:
        asked = [
            [c for c in v.columns if c in out]
            for v in book.questions
            if any(c in out and out[c].notna().any() for c in v.columns)
        ]
        answered = np.column_stack(
            [out[columns].notna().any(axis=1).to_numpy() for columns in asked]
            or [np.zeros(len(out), dtype=bool)]
        )
        last = np.where(
            answered.any(axis=1), answered.shape[1] - np.argmax(answered[:, ::-1], 1), 0
        )
        out["progress"] = pd.array(100 * last / max(len(asked), 1), dtype="Float64")
    if "finished" not in out:
        out["finished"] = (out["progress"] >= 100).astype("boolean")
    if "status" not in out:
        out["status"] = pd.Series("response", index=out.index, dtype="string")
    if "start_time" not in out:
        out["start_time"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    return out


def _noted(hit: pd.Series, note, fallback: str) -> pd.Series:
    """``note(rows)`` for the rows where ``hit`` holds, missing elsewhere.

    Whether a row is excluded is decided by ``hit`` alone: where the note cannot be written
    (a value it quotes is missing) the row gets ``fallback``, never a pass. Notes are built
    for the hits only: formatting a million dates to exclude none is waste.
    """
    detail = pd.Series(pd.NA, index=hit.index, dtype="string")
    if hit.any():
        detail[hit] = note(hit[hit].index).astype("string").fillna(fallback)
    return detail


def _preview_or_test(frame: pd.DataFrame, qc: QC, fieldwork_start: pd.Timestamp) -> pd.Series:
    status = frame["status"].fillna("response")
    detail = _noted(
        status.ne("response") & status.ne("imported"), lambda i: "status " + status[i], "status"
    )
    if qc.exclude_before_fieldwork:
        early = frame["start_time"].lt(fieldwork_start).fillna(False)

        def started(rows: pd.Index) -> pd.Series:
            when = frame.loc[rows, "start_time"].dt.strftime("%Y-%m-%d %H:%M")
            return "started " + when + f" before fieldwork start {fieldwork_start:%Y-%m-%d}"

        fallback = f"started before fieldwork start {fieldwork_start:%Y-%m-%d}"
        detail = detail.fillna(_noted(early & detail.isna(), started, fallback))
    return detail


def _incomplete(frame: pd.DataFrame, qc: QC) -> pd.Series:
    progress = frame["progress"].astype("Float64")
    unfinished = frame["finished"].eq(False).fillna(False) | progress.lt(qc.min_progress).fillna(
        False
    )
    return _noted(
        unfinished,
        lambda i: "progress " + progress[i].round(0).astype("Int64").astype("string") + "%",
        "not finished (progress unknown)",
    )


def folded(values: pd.Series) -> pd.Series:
    """``str.strip().casefold()`` of every value, by pyarrow where a value is ASCII (casefold
    is lower-casing there) and by Python for the rest: a million e-mail addresses never
    become a million Python strings."""
    text = pa.array(values.astype(pd.StringDtype("pyarrow")).str.strip())
    if not isinstance(text, pa.ChunkedArray):
        text = pa.chunked_array([text])
    other = ~pc.string_is_ascii(text).fill_null(True).to_numpy()
    result = pd.Series(pd.arrays.ArrowStringArray(pc.ascii_lower(text)), index=values.index)
    if other.any():
        result[other] = [v.casefold() for v in result[other]]
    return result


def _duplicate(frame: pd.DataFrame, qc: QC) -> pd.Series:
    """Later submissions by the same person; the first (by start time, then file order) stays.

    Incomplete rows were excluded earlier, so the one kept is the first complete submission.
    The detail names the kept respondent id, never the key, which is personal data.
    """
    keys = [k for k in qc.duplicate_keys if k in frame]
    detail = pd.Series(pd.NA, index=frame.index, dtype="string")
    if not keys:
        return detail
    # One integer per distinct key, by hashing: no sort, and no copy, of the strings (at ten
    # million rows each copy of the e-mail addresses is 0.6 GiB).
    group = np.zeros(len(frame), dtype=np.int64)
    known = np.ones(len(frame), dtype=bool)
    for k in keys:
        codes, uniques = pd.factorize(folded(frame[k]))
        known &= codes >= 0
        group = pd.factorize(group * (len(uniques) + 1) + codes)[0] if k != keys[0] else codes
    rows = np.flatnonzero(known)
    if not len(rows):
        return detail
    # Submissions in start-time order (a missing time last), then file order.
    started = frame["start_time"].to_numpy(dtype="datetime64[ns]").view(np.int64)[rows]
    started = np.where(started == np.iinfo(np.int64).min, np.iinfo(np.int64).max, started)
    order = np.lexsort((frame["source_row"].to_numpy()[rows], started))
    # Where each submission's key is first submitted, in that order.
    _, first, key = np.unique(group[rows][order], return_index=True, return_inverse=True)
    first_of = first[key]
    repeats = np.flatnonzero(first_of != np.arange(len(rows)))
    if not len(repeats):
        return detail
    first_id = frame["respondent_id"].iloc[rows[order[first_of[repeats]]]].astype("string")
    same = "same " + "+".join(keys)
    text = (same + " as respondent " + first_id).fillna(same + " as an earlier respondent")
    detail.iloc[rows[order[repeats]]] = text.to_numpy()
    return detail


def _absurd(duration: pd.Series) -> pd.Series:
    """Durations that are not finite or over MAX_DURATION_S (blanks are not)."""
    values = duration.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = np.isinf(values) | (values > MAX_DURATION_S)
    return pd.Series(bad, index=duration.index)


def _unknown_durations(harmonised: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """One recode row per analysed respondent whose duration was read as unknown."""
    if "duration_s" not in harmonised:
        return pd.DataFrame(columns=["respondent_id", "source_row", "variable", "rule", "detail"])
    hit = _absurd(harmonised["duration_s"]) & harmonised["source_row"].isin(kept["source_row"])
    rows = kept.loc[kept["source_row"].isin(harmonised.loc[hit, "source_row"])]
    return pd.DataFrame(
        {
            "respondent_id": rows["respondent_id"].astype("string"),
            "source_row": rows["source_row"].astype("int64"),
            "variable": pd.Series("duration_s", index=rows.index, dtype="string"),
            "rule": pd.Series("duration_unknown", index=rows.index, dtype="string"),
            "detail": pd.Series(
                f"not finite or over {MAX_DURATION_S:.0f} s: read as unknown",
                index=rows.index,
                dtype="string",
            ),
        }
    ).reset_index(drop=True)


def _speeder(frame: pd.DataFrame, qc: QC) -> pd.Series:
    duration = frame["duration_s"].astype("Float64")
    median = float(duration.median()) if duration.notna().any() else float("nan")
    threshold = max(qc.speeder_fraction * median, qc.min_duration_s)
    return _noted(
        duration.lt(threshold).fillna(False),
        lambda i: (
            "duration "
            + duration[i].round(0).astype("Int64").astype("string")
            + f" s < {threshold:.0f} s ({qc.speeder_fraction:g} x median {median:.0f} s)"
        ),
        f"faster than {threshold:.0f} s",
    )


def exclude(
    frame: pd.DataFrame, qc: QC, fieldwork_start: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply the rules in ``RULES`` order; return kept rows, exclusions and the flow table.

    Each rule sees only the rows that survived the earlier ones, so the speeder threshold is
    a median over real, complete, first submissions.
    """
    steps = {
        "preview_or_test": lambda f: _preview_or_test(f, qc, fieldwork_start),
        "incomplete": lambda f: _incomplete(f, qc),
        "duplicate": lambda f: _duplicate(f, qc),
        "speeder": lambda f: _speeder(f, qc),
    }
    kept = frame
    excluded, flow = [], [("0", "raw", len(frame), 0, len(frame))]
    for number, rule in enumerate(RULES, start=1):
        detail = steps[rule](kept)
        hit = detail.notna()
        out = kept.loc[hit, ["respondent_id", "source_row"]].assign(rule=rule, detail=detail[hit])
        excluded.append(out)
        flow.append((str(number), rule, len(kept), int(hit.sum()), len(kept) - int(hit.sum())))
        kept = kept.loc[~hit]
    flow.append((str(len(RULES) + 1), "analysed", len(kept), 0, len(kept)))
    exclusions = pd.concat(excluded, ignore_index=True).sort_values("source_row", kind="stable")
    return (
        kept,
        exclusions[EXCLUSION_COLUMNS].reset_index(drop=True),
        pd.DataFrame(flow, columns=FLOW_COLUMNS),
    )


def clean(
    harmonised: pd.DataFrame,
    book: Codebook,
    qc: QC,
    *,
    wave: str,
    fieldwork_start: str | pd.Timestamp,
    recodes: pd.DataFrame | None = None,
) -> Cleaned:
    """From a harmonised export to analysis data: QC, no personal data, derived, typed.

    ``recodes`` (answers the harmonising rules changed) are kept for the analysed rows only,
    beside the exclusions, so the cleaning record describes the data analysed.
    """
    frame = complete_paradata(harmonised, book)
    # The rules read only the paradata: each step's copy of the rows it keeps stays small.
    read = dict.fromkeys((*PARADATA, "source_row", *qc.duplicate_keys))
    checked = frame[[c for c in read if c in frame]]
    kept, exclusions, flow = exclude(checked, qc, pd.Timestamp(fieldwork_start))
    answers = [c for v in book.questions for c in v.columns]
    # A frame may lack a question no wave column fed (built in code, or absent): missing.
    columns = ["respondent_id", "start_time", "duration_s", *answers]
    data = frame.reindex(columns=columns).loc[kept.index]
    data.insert(0, "wave", pd.Series(wave, index=data.index, dtype="string"))
    data = typed(derive(data, book), book).reset_index(drop=True)
    data = data[["wave", "respondent_id", "start_time", "duration_s", *book.clean_columns]]
    if recodes is not None:
        recodes = recodes[recodes["source_row"].isin(kept["source_row"])].reset_index(drop=True)
    unknown = _unknown_durations(harmonised, kept)
    if len(unknown):
        recodes = (
            pd.concat(
                [recodes.astype(unknown.dtypes.to_dict()), unknown], ignore_index=True
            ).sort_values(["source_row", "variable"], kind="stable", ignore_index=True)
            if recodes is not None
            else unknown
        )
    return Cleaned(data=data, exclusions=exclusions, flow=flow, recodes=recodes)
