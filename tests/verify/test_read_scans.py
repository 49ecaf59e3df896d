"""The byte scans HiGHS-read MPS files get (SOS markers, the ENDATA line): the fast
``bytes.find`` versions find exactly what their regular-expression definitions match."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optiscribe.verify import ModelReadError, UnsupportedModelError, read_model
from optiscribe.verify._read import (
    _MPS_ENDATA,
    _SOS_MARKER,
    _has_endata,
    _sos_marker,
    malformed_column_record,
)

from .conftest import HIGHS_CHECK, need

# pieces that make near misses likely: markers, sos in any case, ENDATA glued to words
_PIECES = st.sampled_from(
    [
        b"'MARKER'",
        b"'MARKER",
        b"MARKER'",
        b"sos",
        b"SOS",
        b"sOs",
        b"so",
        b"ENDATA",
        b"endata",
        b"EnDaTa",
        b"ENDATAX",
        b"ENDATA_",
        b"xENDATA",
        b"\n",
        b"\r\n",
        b" ",
        b"\t",
        b"x",
        b"1",
        b"*",
        b"'",
    ]
)
_TEXT = st.lists(_PIECES, max_size=24).map(b"".join)


@settings(max_examples=600, deadline=None)
@given(_TEXT)
def test_marker_scan_matches_its_regular_expression(raw: bytes) -> None:
    assert _sos_marker(raw) == bool(_SOS_MARKER.search(raw))


@settings(max_examples=600, deadline=None)
@given(_TEXT)
def test_endata_scan_matches_its_regular_expression(raw: bytes) -> None:
    assert _has_endata(raw.lower()) == bool(_MPS_ENDATA.search(b"\n" + raw))


@pytest.mark.parametrize(
    ("raw", "sos", "endata"),
    [
        (b" M1 'MARKER' 'SOSORG'\nENDATA\n", True, True),
        (b" s1 sos2 x 1 'MARKER'\n  ENDATA", True, True),
        (b" M1 'MARKER' 'INTORG'\n sos x 1\nENDATA2\n", False, False),
        (b"ROWS\n M1 'MARKER' 'INTEND'\n\tendata \n", False, True),
        (b"x ENDATA\n", False, False),
    ],
)
def test_scans_on_hand_written_lines(raw: bytes, sos: bool, endata: bool) -> None:
    assert _sos_marker(raw) is sos
    assert _has_endata(raw.lower()) is endata


def test_scans_agree_with_their_definitions_on_every_instance() -> None:
    files = sorted(need(HIGHS_CHECK).glob("*.mps"))
    assert files
    for f in files:
        raw = f.read_bytes()
        assert _sos_marker(raw) == bool(_SOS_MARKER.search(raw)), f.name
        assert _has_endata(raw.lower()) == bool(_MPS_ENDATA.search(b"\n" + raw)), f.name


def _mps(body: str) -> str:
    # padded past the native reader's size range, so HiGHS reads it after the scans
    pad = "".join(f"* padding line {k:05d} " + "x" * 60 + "\n" for k in range(80))
    return f"NAME t\n{pad}ROWS\n N obj\n L c1\nCOLUMNS\n{body}RHS\n rhs c1 4\nENDATA\n"


def test_a_file_read_by_highs_with_an_sos_marker_is_unsupported(tmp_path) -> None:
    body = " S1 'MARKER' 'SOSORG'\n x obj 1 c1 1\n S1 'MARKER' 'SOSEND'\n"
    p = tmp_path / "sos.mps"
    p.write_text(_mps(body))
    assert 4096 <= p.stat().st_size
    with pytest.raises(UnsupportedModelError, match="SOS constraint"):
        read_model(p)


def test_a_file_read_by_highs_without_endata_is_refused(tmp_path) -> None:
    p = tmp_path / "cut.mps"
    p.write_text(_mps(" x obj 1 c1 1\n").replace("ENDATA\n", ""))
    assert 4096 <= p.stat().st_size
    with pytest.raises(ModelReadError, match="no ENDATA line"):
        read_model(p)
    p.write_text(_mps(" x obj 1 c1 1\n").replace("ENDATA", "  endata"))
    assert read_model(p).num_vars == 1


def test_no_column_record_of_the_instances_is_malformed_but_those_that_are() -> None:
    # the check for records HiGHS would misread or loop on (names that ROWS does not
    # declare, wrong field counts) passes every instance but warnings.mps (its COLUMNS
    # names rows R11, R12, R14 that ROWS lacks); inline comments (comment.mps) and
    # rows named like comments (sctest's *OBJ*) are no false alarms
    flagged = {
        f.name
        for f in sorted(need(HIGHS_CHECK).glob("*.mps"))
        if malformed_column_record(f.read_bytes()) is not None
    }
    assert flagged == {"warnings.mps"}
    assert malformed_column_record(b"ROWS\n N obj\n L c\nCOLUMNS\n x obj 1 c\nRHS\n") == (
        5,
        "x obj 1 c",
    )
    assert malformed_column_record(b"ROWS\n N obj\nCOLUMNS\n x obj 1 $ c 2\nENDATA\n") is None
