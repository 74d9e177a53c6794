"""A job's block (invitesurvey.log.to_log): its output in the log, and its heap frozen out of
the garbage collector for the interpreter's exit. Each case runs in its own interpreter, as a
job does, so the test session's collector is left alone."""

import json
import subprocess
import sys
import textwrap


def run_job(tmp_path, body: str) -> tuple[subprocess.CompletedProcess, dict]:
    """Run ``body`` inside ``to_log`` in a fresh interpreter; what it reports after the block."""
    script = tmp_path / "job.py"
    script.write_text(
        textwrap.dedent(
            """
            import gc, json, sys
            from invitesurvey.log import to_log

            seen = {"frozen_before": gc.get_freeze_count()}
            with to_log(sys.argv[1]) as log:
            """
        )
        + textwrap.indent(textwrap.dedent(body), "    ")
        + textwrap.dedent(
            """
            if "kept" in globals():
                seen["kept_collectable_after"] = any(o is kept for o in gc.get_objects())
            print(json.dumps(seen))
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "job.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    return done, (json.loads(done.stdout) if done.returncode == 0 else {})


def test_the_block_runs_with_its_imports_frozen_and_its_cycles_still_collected(tmp_path):
    done, seen = run_job(
        tmp_path,
        """
        seen["frozen_inside"] = gc.get_freeze_count()
        seen["enabled"] = gc.isenabled()
        cycle = []
        cycle.append(cycle)
        del cycle
        seen["collected"] = gc.collect()
        kept = ["made by the job"]
        seen["kept_collectable_inside"] = any(o is kept for o in gc.get_objects())
        print("to the log")
        log.info("done")
        """,
    )
    assert done.returncode == 0, done.stderr
    assert seen["frozen_before"] == 0
    # The modules imported before the block are out of the job's collections...
    assert seen["frozen_inside"] > 1000
    # ...while what the job makes is collected as usual.
    assert seen["enabled"]
    assert seen["collected"] >= 1
    assert seen["kept_collectable_inside"]
    # Everything left at the end is frozen too: the exit does not scan it again.
    assert not seen["kept_collectable_after"]
    assert (tmp_path / "job.log").read_text(encoding="utf-8") == "to the log\nINFO done\n"


def test_a_failing_block_exits_1_with_its_error_on_one_line(tmp_path):
    done, _ = run_job(
        tmp_path,
        """
        from invitesurvey.errors import InputError
        raise InputError("raw.csv, row 3, column role: 'x' is not a code")
        """,
    )
    assert done.returncode == 1
    assert done.stderr == "ERROR: raw.csv, row 3, column role: 'x' is not a code\n"
    assert "ERROR: raw.csv, row 3" in (tmp_path / "job.log").read_text(encoding="utf-8")
