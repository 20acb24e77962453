"""What a program prints when asked: its answer only when it starts, exits 0 and is quick."""

from __future__ import annotations

import sys

from localcloud.base.processes import printed


def test_what_a_program_prints_on_a_clean_exit():
    assert printed([sys.executable, "-c", "print('3.12')"], timeout=30) == "3.12\n"


def test_the_environment_given_is_the_programs():
    code = "import os; print(os.environ.get('ASKED', 'unset'))"
    assert printed([sys.executable, "-c", code], timeout=30, env={"ASKED": "yes"}) == "yes\n"


def test_no_answer_from_a_program_that_fails_is_missing_or_hangs(tmp_path):
    failing = "import sys; print('half'); sys.exit(3)"
    assert printed([sys.executable, "-c", failing], timeout=30) is None
    assert printed([str(tmp_path / "nothing-here")], timeout=30) is None
    assert printed([sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5) is None
