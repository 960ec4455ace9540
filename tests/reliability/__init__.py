"""The hardening matrix (issue 17): table-driven cases of bad input, each with its exit code, its
one error line and the results database afterwards, on SQLite and PostgreSQL.

Add a case as a :class:`tests.reliability.harness.Case` to an area's ``CASES`` list; a new area is
a ``test_*.py`` file with a ``CASES`` list and one test taking ``check_case`` (conftest.py)::

    @pytest.mark.parametrize(("case", "backend"), case_params(CASES))
    def test_area(case: Case, backend: Backend, check_case: CheckCase) -> None:
        check_case(case, backend)
"""
