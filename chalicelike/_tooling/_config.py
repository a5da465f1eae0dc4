"""Reading `.chalice/config.json`: checked whole against `_config_schema` when loaded, then
resolved with Chalice's lookup order into the `StageConfig`/`FunctionConfig` that `local` and
`package` both use. Every problem is a `ConfigError` naming the file and the key path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .._core._errors import ChaliceError
from ._config_schema import (
    KEYS,
    SNAPSTART_RUNTIMES,
    Invalid,
    Level,
    default_runtime,
    describe_levels,
    keys_at,
    refuse,
    suggest,
    unknown_key,
)
from ._settings import XRAY_VARIABLE, CustomDomain, FunctionConfig, StageConfig

__all__ = [
    "ConfigError",
    "api_gateway_stage",
    "config_path",
    "load_config",
    "resolve_function_config",
    "resolve_function_configs",
    "resolve_stage_config",
    "stage_environment",
]

Section = Mapping[str, Any]
Chain = list[tuple[str, Section]]  # (key path prefix, section), most specific first

# Lambda: "the total size of all environment variables doesn't exceed 4 KB".
ENVIRONMENT_LIMIT = 4096


class ConfigError(ChaliceError, ValueError):
    """The project's config file cannot be used; the message names the file and key."""


def config_path(project_dir: str | Path) -> Path:
    return Path(project_dir) / ".chalice" / "config.json"


def load_config(
    project_dir: str | Path, function_names: Collection[str] | None = None
) -> dict[str, Any]:
    """The config file, checked whole ({} when there is none).

    With the app's `function_names`, a `lambda_functions` entry naming none of them is an
    error too. Raises ConfigError listing every problem, one line each."""
    path = config_path(project_dir)
    if not path.is_file():
        if path.exists() or path.parent.is_file():
            # A folder (or a .chalice file) where the config belongs: not "no config".
            where = path if path.exists() else path.parent
            raise ConfigError(f"{where}: is not a file; Chalice reads its config from {path}")
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid JSON: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a Chalice config") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: the top level must be a JSON object")
    walk = _Walk(path.parent, function_names)
    _raise(path, list(_walk(config, Level.TOP, "", walk)))
    # Combinations are checked once every value is known to have the right type.
    _raise(path, list(_file_scope_problems(config, path.parent, function_names).values()))
    return config


def resolve_stage_config(project_dir: str | Path, stage: str, app_name: str) -> StageConfig:
    """What applies to the whole app in `stage`; `app_name` is used unless the file sets one."""
    path = config_path(project_dir)
    config = load_config(project_dir)
    _raise(path, list(_stage_problems(config, stage).values()))
    chain = _chain(config, stage, None)
    values = _looked_up(chain, StageConfig)
    if "api_gateway_policy_file" in values:
        values["api_gateway_policy_file"] = str(path.parent / values["api_gateway_policy_file"])
    vpce = values.get("api_gateway_endpoint_vpce")
    if isinstance(vpce, str):
        values["api_gateway_endpoint_vpce"] = [vpce]
    for name in ("api_gateway_custom_domain", "websocket_api_custom_domain"):
        if name in values:
            values[name] = CustomDomain(**values[name])
    # Chalice deploys the websocket API to the REST API's stage; ours may differ.
    values.setdefault("websocket_api_stage", values.get("api_gateway_stage", "api"))
    values.setdefault("runtime", default_runtime())
    return StageConfig(app_name=config.get("app_name") or app_name, stage=stage, **values)


def resolve_function_config(
    project_dir: str | Path,
    stage: str,
    function: str,
    *,
    function_names: Collection[str] | None = None,
) -> FunctionConfig:
    """One function's settings in `stage`: the most specific value of each key, with
    environment_variables and tags merged from every level."""
    return resolve_function_configs(project_dir, stage, [function], function_names)[function]


def resolve_function_configs(
    project_dir: str | Path,
    stage: str,
    functions: Collection[str],
    function_names: Collection[str] | None = None,
) -> dict[str, FunctionConfig]:
    """Several functions' settings, the file read and checked once (a reload and a
    `package` want every function's)."""
    path = config_path(project_dir)
    config = load_config(project_dir, function_names)
    problems = _stage_problems(config, stage)
    for function in functions:
        problems.update(_function_problems(config, path.parent, stage, function))
    _raise(path, list(problems.values()))
    resolved = {}
    for function in functions:
        values = _looked_up(_chain(config, stage, function), FunctionConfig)
        values.setdefault("runtime", default_runtime())
        values["iam_policy_file"] = _policy_file(values, path.parent, stage)
        resolved[function] = FunctionConfig(name=function, **values)
    return resolved


def stage_environment(project_dir: str | Path, stage: str) -> dict[str, str]:
    """The environment variables a stage's functions get (top level, then the stage's)."""
    return _merge(_chain(load_config(project_dir), stage, None), "environment_variables")


def api_gateway_stage(project_dir: str | Path, stage: str) -> str:
    """The API Gateway stage name a Chalice stage deploys to ('api' unless configured)."""
    found = _lookup(_chain(load_config(project_dir), stage, None), "api_gateway_stage")
    return "api" if found is None else str(found[1])


# -- checking the file ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Walk:
    chalice_dir: Path  # where file names in the config are relative to
    function_names: Collection[str] | None  # the app's, when the caller knows them


def _walk(section: Section, level: Level, prefix: str, walk: _Walk) -> Iterator[str]:
    for name, value in section.items():
        path = prefix + name
        key = KEYS.get(name)
        if key is None:
            yield str(unknown_key(path, name, keys_at(level), describe_levels(level)))
        elif level not in key.levels:
            yield (
                f"{path} cannot be set {describe_levels(level)}; {name} may appear "
                f"{describe_levels(key.levels)}"
            )
        elif value is None:
            continue  # Chalice reads null as "not set here"
        else:
            try:
                key.check.check(value, path)
            except Invalid as problem:
                yield str(problem)
                continue
            if key.file and not (walk.chalice_dir / value).is_file():
                yield (
                    f"{path} names {walk.chalice_dir / value}, which does not exist "
                    "(file names are relative to .chalice/)"
                )
            if name == "stages":
                yield from _walk_named(value, Level.STAGE, path, walk)
            elif name == "lambda_functions":
                inner = Level.FUNCTION if level is Level.TOP else Level.STAGE_FUNCTION
                yield from _walk_named(value, inner, path, walk)


def _walk_named(sections: Section, level: Level, path: str, walk: _Walk) -> Iterator[str]:
    """The entries of `stages` or `lambda_functions`: a name each, settings inside."""
    for name, body in sections.items():
        where = f"{path}.{name}"
        if level is Level.STAGE and not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            # The stage is part of every Lambda function's name: <app>-<stage>-<function>.
            yield f"{where}: a stage name must be letters, digits, hyphens and underscores"
        names = walk.function_names
        if level is not Level.STAGE and names is not None and name not in names:
            yield _unknown_function(where, name, names)
        if body is None:
            continue
        if not isinstance(body, dict):
            yield str(refuse(where, "an object of settings", body))
            continue
        yield from _walk(body, level, where + ".", walk)


def _unknown_function(where: str, name: str, names: Collection[str]) -> str:
    if not names:
        return f"{where} names no function of the app: the app has none"
    close = suggest(name, names)
    hint = f"did you mean {close}? " if close else ""
    return (
        f"{where} names no function of the app; {hint}"
        f"the app's functions: {', '.join(sorted(names))}"
    )


def _file_scope_problems(
    config: Section, chalice_dir: Path, function_names: Collection[str] | None
) -> dict[tuple[str, ...], str]:
    """Combinations checked for every stage the file declares and every function it can
    apply to; where neither is known, for a stage/function with no section of its own."""
    stages: list[str | None] = [*(config.get("stages") or {})] or [None]
    if function_names is not None:
        functions: list[str | None] = [*sorted(function_names)]
    else:
        named = {*(config.get("lambda_functions") or {})}
        for stage in (config.get("stages") or {}).values():
            named.update((stage or {}).get("lambda_functions") or {})
        functions = [None, *sorted(named)]
    problems: dict[tuple[str, ...], str] = {}
    for stage in stages:
        problems.update(_stage_problems(config, stage))
        for function in functions:
            for rule, message in _function_problems(config, chalice_dir, stage, function).items():
                problems.setdefault(rule, message)
    return problems


def _scope_name(stage: str | None, function: str | None) -> str:
    stage_text = "any stage" if stage is None else f"stage {stage}"
    return stage_text if function is None else f"function {function} in {stage_text}"


def _stage_problems(config: Section, stage: str | None) -> dict[tuple[str, ...], str]:
    """API Gateway's endpoint rules, as Chalice checks them before deploying."""
    chain = _chain(config, stage, None)
    kind = _lookup(chain, "api_gateway_endpoint_type") or ("", "EDGE")
    vpce = _lookup(chain, "api_gateway_endpoint_vpce")
    policy = _lookup(chain, "api_gateway_policy_file")
    where = _scope_name(stage, None)
    if vpce is not None and not vpce[1]:
        vpce = None  # an empty list sets nothing
    if vpce and kind[1] != "PRIVATE":
        return {("vpce", vpce[0]): f"{vpce[0]} is only allowed with a PRIVATE endpoint type"}
    if kind[1] == "PRIVATE" and vpce and policy:
        return {("private", where): f"only one of {vpce[0]} and {policy[0]} may apply to {where}"}
    if kind[1] == "PRIVATE" and not (vpce or policy):
        return {
            ("private", where): f"{kind[0]} is PRIVATE, so api_gateway_endpoint_vpce or "
            f"api_gateway_policy_file must be set for {where}"
        }
    return {}


def _function_problems(
    config: Section, chalice_dir: Path, stage: str | None, function: str | None
) -> dict[tuple[str, ...], str]:
    """What Chalice refuses at deploy time for one function, keyed to report each once."""
    chain = _chain(config, stage, function)
    where = _scope_name(stage, function)
    problems = _role_problems(chain, chalice_dir, stage, where)
    problems.update(_vpc_problems(chain, where))
    problems.update(_logging_problems(chain, where))
    problems.update(_warm_start_problems(chain, where))
    variables = _merge(chain, "environment_variables")
    xray = _lookup(chain, "xray")
    if xray is not None and xray[1] is True:
        variables[XRAY_VARIABLE] = "true"  # deployed with the rest: Lambda counts it too
    size = sum(len(k.encode()) + len(v.encode()) for k, v in variables.items())
    if size > ENVIRONMENT_LIMIT:
        problems["environment", where] = (
            f"the environment variables of {where} take {size} bytes; Lambda allows "
            f"{ENVIRONMENT_LIMIT} in total"
        )
    return problems


def _role_problems(
    chain: Chain, chalice_dir: Path, stage: str | None, where: str
) -> dict[tuple[str, ...], str]:
    manage = _lookup(chain, "manage_iam_role")
    if manage is not None and manage[1] is False:
        if _lookup(chain, "iam_role_arn") is None:
            return {("role", manage[0]): f"{manage[0]} is false, so iam_role_arn must be set "
                    f"for {where} too"}  # fmt: skip
        return {}  # the role is the user's: no policy is read
    autogen = _lookup(chain, "autogen_policy")
    if autogen is None or autogen[1] is not False or stage is None:
        return {}
    default = chalice_dir / f"policy-{stage}.json"
    if _lookup(chain, "iam_policy_file") is None and not default.is_file():
        return {("policy", autogen[0], stage): f"{autogen[0]} is false and no iam_policy_file "
                f"applies to {where}, so its policy is read from {default}, which does not "
                "exist"}  # fmt: skip
    return {}


def _vpc_problems(chain: Chain, where: str) -> dict[tuple[str, ...], str]:
    found = {name: _lookup(chain, name) for name in ("subnet_ids", "security_group_ids")}
    present = {name: item[0] for name, item in found.items() if item is not None and item[1]}
    if len(present) != 1:
        return {}
    [(name, path)] = present.items()
    missing = "security_group_ids" if name == "subnet_ids" else "subnet_ids"
    return {("vpc", path): f"{path} is set but no {missing} applies to {where}: a VPC needs both"}


def _logging_problems(chain: Chain, where: str) -> dict[tuple[str, ...], str]:
    level = _lookup(chain, "log_level")
    log_format = _lookup(chain, "log_format")
    if level is None or (log_format is not None and log_format[1] == "JSON"):
        return {}
    # Lambda refuses an ApplicationLogLevel unless the LogFormat is JSON: it can only read
    # the level of a line written as a JSON object.
    now = f"{log_format[0]} is Text" if log_format else "log_format is not set (Text)"
    return {
        ("log_level", level[0]): f"{level[0]} needs the JSON log format, but for {where} "
        f'{now}: Lambda filters log levels only in JSON logs; set "log_format": "JSON" '
        "there too, or remove log_level"
    }


def _warm_start_problems(chain: Chain, where: str) -> dict[tuple[str, ...], str]:
    """What Lambda refuses of provisioned concurrency and SnapStart, found before deploying."""
    problems: dict[tuple[str, ...], str] = {}
    provisioned = _lookup(chain, "provisioned_concurrency")
    reserved = _lookup(chain, "reserved_concurrency")
    if provisioned and reserved and provisioned[1] > reserved[1]:
        # Provisioned environments count against the function's reserved concurrency.
        problems["provisioned", provisioned[0], reserved[0]] = (
            f"{provisioned[0]} is {provisioned[1]} but {reserved[0]} is {reserved[1]} for "
            f"{where}: Lambda cannot provision more environments than the function reserves"
        )
    snapstart = _lookup(chain, "snapstart")
    if snapstart is None or snapstart[1] is not True:
        return problems
    runtime = _lookup(chain, "runtime")
    if runtime is None:
        runtime = ("runtime", default_runtime())
        now = f"runtime is not set, so {runtime[1]} (this Python's version)"
    else:
        now = f"{runtime[0]} is {runtime[1]}"
    if runtime[1] not in SNAPSTART_RUNTIMES:
        problems["snapstart", snapstart[0], runtime[0]] = (
            f"{snapstart[0]} needs python3.12 or later, but for {where} {now}: Lambda "
            f'SnapStart supports Python from python3.12; set "runtime" to one of '
            f"{', '.join(SNAPSTART_RUNTIMES)}, or remove snapstart"
        )
    if provisioned:
        problems["snapstart", snapstart[0], provisioned[0]] = (
            f"{snapstart[0]} and {provisioned[0]} both apply to {where}: Lambda does not "
            "combine SnapStart with provisioned concurrency; keep one"
        )
    storage = _lookup(chain, "lambda_ephemeral_storage")
    if storage and storage[1] > 512:
        problems["snapstart", snapstart[0], storage[0]] = (
            f"{snapstart[0]} is true but {storage[0]} is {storage[1]} MB for {where}: Lambda "
            "SnapStart supports at most 512 MB of /tmp"
        )
    return problems


def _raise(path: Path, problems: list[str]) -> None:
    if problems:
        raise ConfigError("\n".join(f"{path}: {problem}" for problem in problems))


# -- resolving values -----------------------------------------------------------------------


def _chain(config: Section, stage: str | None, function: str | None) -> Chain:
    """Where a value is looked up, most specific first (Chalice's order): the function in
    the stage, the stage, the function at the top level, the top level."""
    stage_section: Section = {}
    if stage is not None:
        stage_section = (config.get("stages") or {}).get(stage) or {}
    chain: Chain = []
    if function is not None and stage is not None:
        in_stage = (stage_section.get("lambda_functions") or {}).get(function) or {}
        chain.append((f"stages.{stage}.lambda_functions.{function}.", in_stage))
    if stage is not None:
        chain.append((f"stages.{stage}.", stage_section))
    if function is not None:
        top = (config.get("lambda_functions") or {}).get(function) or {}
        chain.append((f"lambda_functions.{function}.", top))
    chain.append(("", config))
    return chain


def _lookup(chain: Chain, name: str) -> tuple[str, Any] | None:
    """The most specific value of `name` with the key path it came from; null is unset."""
    for prefix, section in chain:
        if section.get(name) is not None:
            return prefix + name, section[name]
    return None


def _merge(chain: Chain, name: str) -> dict[str, str]:
    """Every level's mapping merged, the most specific winning each entry."""
    merged: dict[str, str] = {}
    for _, section in reversed(chain):
        merged.update(section.get(name) or {})
    return merged


def _looked_up(chain: Chain, settings: type[StageConfig] | type[FunctionConfig]) -> dict[str, Any]:
    """The values the file sets for the fields of `settings`; defaults are the class's."""
    values: dict[str, Any] = {}
    for item in fields(settings):
        key = KEYS.get(item.name)
        if key is None or key.levels is Level.TOP:
            continue  # app_name: the caller's fallback applies
        if key.merged:
            values[item.name] = _merge(chain, item.name)
        elif (found := _lookup(chain, item.name)) is not None:
            value = found[1]
            # Copies: the settings must not share lists or dicts with the loaded file.
            values[item.name] = list(value) if isinstance(value, list) else value
    return values


def _policy_file(values: Mapping[str, Any], chalice_dir: Path, stage: str) -> str | None:
    if values.get("iam_policy_file") is not None:
        return str(chalice_dir / values["iam_policy_file"])
    if values.get("autogen_policy") is False and values.get("manage_iam_role") is not False:
        return str(chalice_dir / f"policy-{stage}.json")  # Chalice's default
    return None
