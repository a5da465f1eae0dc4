"""`.chalice/deployed/<stage>.json`: written whole or not at all, readable as the project's
files are, and a broken or missing one named in one line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from chalicelike.deploy._record import (
    function_resource,
    read_record,
    record_path,
    require_record,
    write_record,
)
from chalicelike.deploy._session import DeployError

RECORD = {
    "resources": [
        {"name": "api_handler", "resource_type": "lambda_function", "function_name": "shop-dev"}
    ],
    "schema_version": "2.0",
    "stack": {"name": "shop-dev"},
}


def test_a_record_is_written_whole_with_the_projects_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_record(tmp_path, "dev", RECORD)
    finally:
        os.umask(old)
    assert read_record(tmp_path, "dev") == RECORD
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["dev.json"]  # no temporary left


def test_a_broken_record_is_one_line_saying_to_deploy_again(tmp_path: Path) -> None:
    record_path(tmp_path, "dev").parent.mkdir(parents=True)
    record_path(tmp_path, "dev").write_text("{not json")
    with pytest.raises(DeployError, match=r"cannot be read .*deploy again"):
        read_record(tmp_path, "dev")


def test_a_stage_never_deployed_says_how_to_deploy_it(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="run `chalicelike deploy --stage prod`"):
        require_record(tmp_path, "prod")


def test_functions_are_found_by_app_name_or_deployed_name() -> None:
    assert function_resource(RECORD, "api_handler")["function_name"] == "shop-dev"
    assert function_resource(RECORD, "shop-dev")["name"] == "api_handler"
    with pytest.raises(
        DeployError, match=r"no deployed function named 'x' \(deployed: api_handler\)"
    ):
        function_resource(RECORD, "x")
