"""`chalicelike package` and `chalicelike generate-models`: the deployment package and the
API's OpenAPI document, from the app's manifest and the stage's config.

The app is read the way the dev server reads it (a subprocess, `_describe`), so packaging
runs no user code in this process; config is validated before anything is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._core._errors import ChaliceError
from .._tooling._manifest import AppManifest
from ._repeat import (
    FORMATS,
    RepeatOptions,
    fingerprint,
    fingerprint_files,
    fingerprint_review,
    fingerprint_wheel_sets,
    remember_build,
    settled,
)

if TYPE_CHECKING:
    from .._tooling._describe import AppReading

__all__ = [
    "FORMATS",
    "BuiltPackage",
    "build_package",
    "models_command",
    "package_command",
    "read_manifest",
]


@click.command(
    "package",
    help="Write deployment.zip and an infrastructure template to OUTDIR (created if missing).",
    short_help="write deployment.zip and an infrastructure template to OUTDIR",
)
@click.argument("outdir")
@click.option("--stage", default="dev", help="the config stage")
@click.option("--pkg-format", type=click.Choice(FORMATS), default="sam", help="the template's kind")
@click.option(
    "--template-format",
    type=click.Choice(("json", "yaml")),
    default="json",
    help="SAM and CloudFormation templates as JSON or YAML",
)
@click.option(
    "--bytecode/--no-bytecode",
    default=True,
    help="ship each module's .pyc for the stage's runtime (when that Python is found here)",
)
@click.pass_obj
def package_command(common: argparse.Namespace, /, **params: Any) -> int:
    return _package(argparse.Namespace(**vars(common), **params))


@click.command(
    "generate-models",
    help=(
        "Print the REST API as an OpenAPI 3 document: its routes, authorizers and the "
        "parameters, bodies and answers the views declare, with their schemas. OpenAPI 3.1 "
        "by default; --openapi-version 3.0 prints the form API Gateway imports (the one "
        "the templates embed: schemas within what its models accept, integrations and, "
        "with api_gateway_request_validation, its request validators)."
    ),
    short_help="print the REST API as an OpenAPI 3 document",
)
@click.option("--stage", default="dev", help="the config stage")
@click.option(
    "--openapi-version",
    # _openapi_schemas.VERSIONS, spelled here: the CLI imports no template code to list it.
    type=click.Choice(("3.1", "3.0")),
    default="3.1",
    show_default=True,
    help="3.1, or 3.0 as API Gateway imports it",
)
@click.pass_obj
def models_command(common: argparse.Namespace, /, **params: Any) -> int:
    return _generate_models(argparse.Namespace(**vars(common), **params))


def read_manifest(project_dir: Path, stage: str, reading: AppReading | None = None) -> AppManifest:
    """The app's manifest, from the cache when no source it is read from has changed.

    Reading it means starting Python and importing the app (0.1-0.3 s). The cache is
    checked first (a millisecond: the stat of the sources), so a repeat starts no child;
    a caller that started the child already (`reading`) ends it. The cache is keyed by
    app.py, chalicelib/, vendor/, the config, the stage and chalicelike's own source, so
    any edit reads it afresh.
    """
    from ._json_cache import write_cached

    digest = _sources_digest(project_dir, stage)
    cache = project_dir / ".chalice" / "cache" / f"manifest-{digest}.json"
    cached = _cached_manifest(cache)
    if cached is not None:
        return cached
    from .._tooling._describe import AppLoadError, AppReading

    try:
        if reading is not None:
            manifest = reading.manifest()
        else:
            with AppReading(project_dir, stage) as started:
                manifest = started.manifest()
    except AppLoadError as error:
        raise ChaliceError(str(error)) from None
    write_cached(cache, manifest.to_json())
    return manifest


def _cached_manifest(cache: Path) -> AppManifest | None:
    from ._json_cache import read_cached

    cached = read_cached(cache)
    if cached is not None:
        try:
            return AppManifest.from_json(cached)
        except (KeyError, TypeError):
            pass  # a cache of another shape: the app's own answer then
    return None


def _sources_digest(project_dir: Path, stage: str) -> str:
    import hashlib

    from .._tooling._project import app_sources

    digest = hashlib.sha256(stage.encode() + b"\0")
    sources = [*app_sources(project_dir), project_dir / ".chalice" / "config.json"]
    sources += sorted((project_dir / "vendor").rglob("*.py"))
    for path in sources:
        if path.is_file() and "__pycache__" not in path.parts:
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    # chalicelike's own ~200 modules, walked with plain strings (pathlib costs more than the
    # walk): a repeat `package` pays this.
    for folder, subfolders, files in os.walk(os.path.dirname(os.path.dirname(__file__))):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:24]


@dataclasses.dataclass(frozen=True)
class BuiltPackage:
    """What `package` made: the zip, the templates (by file name) and what they came from."""

    manifest: AppManifest
    stage_config: Any  # _tooling._settings.StageConfig
    configs: dict[str, Any]  # function name -> FunctionConfig
    zip_path: Path
    zipped_bytes: int
    wheels: int
    cache_hit: bool
    documents: dict[str, dict[str, Any]]
    kept_zip: str = ""  # the cache's copy of the zip ("" when none was kept)
    review_written: bool = False  # the generated policy was written to .chalice/policy-<stage>


def build_package(
    project_dir: Path,
    stage: str,
    pkg_format: str,
    outdir: Path,
    reading: AppReading | None = None,
    *,
    bytecode: bool = True,
) -> BuiltPackage:
    """deployment.zip in `outdir` and the templates of `pkg_format` (not yet written);
    `deploy` builds its stack from this too, with its read of the app already started.
    With `bytecode`, the zip holds each module's .pyc for the stage's runtime."""
    from .._tooling._config import resolve_function_configs, resolve_stage_config
    from ._archive import build_deployment_zip
    from .iam._policy import (
        function_policies,
        load_policy_file,
        stage_policy,
        writes_review_file,
    )
    from .templates import build_templates

    manifest = read_manifest(project_dir, stage, reading)
    if manifest.deploy_problems:
        # The app imports (Chalice accepts these), but AWS would refuse the stack.
        raise ChaliceError(
            f"{project_dir / 'app.py'}: AWS would refuse what the app declares:\n"
            + "\n".join(f"  {problem}" for problem in manifest.deploy_problems)
        )
    names = [entry.name for entry in manifest.functions]
    stage_config = resolve_stage_config(project_dir, stage, manifest.app_name)
    # config.json's app_name names the deployed resources, as it does for Chalice and `local`.
    manifest = dataclasses.replace(manifest, app_name=stage_config.app_name)
    configs = resolve_function_configs(project_dir, stage, names, function_names=names)
    cache_dir = project_dir / ".chalice" / "cache"
    policy = stage_policy(project_dir, stage, manifest, configs, cache_dir=cache_dir)
    api_policy = (
        load_policy_file(project_dir, stage_config.api_gateway_policy_file)
        if stage_config.api_gateway_policy_file
        else None
    )
    documents = build_templates(
        manifest,
        stage_config,
        configs,
        policy,
        pkg_format,
        function_policies=function_policies(project_dir, manifest, configs),
        api_gateway_policy=api_policy,
    )
    outdir.mkdir(parents=True, exist_ok=True)
    report = build_deployment_zip(
        project_dir,
        outdir / "deployment.zip",
        runtime=stage_config.runtime,
        architecture=stage_config.lambda_architecture,
        hosts_asgi_apps=any(route.method == "ANY" for route in manifest.routes),
        # One zip serves every function of the stage: one tracing function brings the SDK.
        tracing=any(config.xray for config in configs.values()),
        bytecode=bytecode,
    )
    for skipped in report.skipped:
        print(f"chalicelike package: left out {skipped}", file=sys.stderr)
    if report.no_bytecode:
        print(f"chalicelike package: {report.no_bytecode}", file=sys.stderr)
    return BuiltPackage(
        manifest=manifest,
        stage_config=stage_config,
        configs=dict(configs),
        zip_path=report.path,
        zipped_bytes=report.zipped_bytes,
        wheels=len(report.wheels),
        cache_hit=report.cache_hit,
        documents=documents,
        kept_zip=report.kept_zip,
        review_written=writes_review_file(manifest, configs),
    )


def _package(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    outdir = Path(args.outdir)
    project_dir = Path(args.project_dir).resolve()
    options = RepeatOptions({**vars(args), "bytecode": getattr(args, "bytecode", True)})
    # Stamped before the build reads them: an edit made while it runs is seen next time.
    build_started_ns = time.time_ns()
    inputs = fingerprint(str(project_dir), args.stage)
    built = build_package(
        project_dir, args.stage, args.pkg_format, outdir, bytecode=options.bytecode
    )
    templates = _write_templates(built.documents, outdir, args)
    config = built.stage_config
    summary = {
        "runtime": config.runtime,
        "architecture": config.lambda_architecture,
        "zipped": built.zipped_bytes,
        "wheels": built.wheels,
    }
    if inputs is not None:
        _remember(options, project_dir, inputs, built, templates, summary, build_started_ns)
    written = ", ".join([built.zip_path.name, *(name for name, _ in templates)])
    print(
        f"chalicelike package: {written} in {outdir} for {config.runtime} "
        f"{config.lambda_architecture} ({built.zipped_bytes:,} bytes zipped, "
        f"{built.wheels} wheels{', cached' if built.cache_hit else ''}) "
        f"in {time.perf_counter() - started:.2f} s"
    )
    return 0


def _remember(
    options: RepeatOptions,
    project_dir: Path,
    inputs: dict[str, str],
    built: BuiltPackage,
    templates: list[tuple[str, str]],
    summary: dict[str, Any],
    started_ns: int,
) -> None:
    """Record the build for a repeat (`_repeat`): its inputs as stamped before it, plus
    files read elsewhere and what it wrote as the next build will find it (the review file
    it generated with autogen_policy, the wheel sets it downloaded). Not when an input
    changed while it ran (or too close to its start to tell): the next build is full."""
    extra = _inputs_elsewhere(project_dir, built)
    inputs.update(fingerprint_files(extra))  # stamped after the build: checked by `settled`
    if not settled(inputs, started_ns):
        return
    if built.review_written:
        inputs.update(fingerprint_review(str(project_dir), options.stage))
    inputs.update(fingerprint_wheel_sets(str(project_dir)))
    kept = {"kept_zip": built.kept_zip, "templates": templates, "summary": summary}
    remember_build(options, str(project_dir), inputs, extra, kept)


def _write_templates(
    documents: dict[str, dict[str, Any]], outdir: Path, args: argparse.Namespace
) -> list[tuple[str, str]]:
    """Write each template to `outdir`, as JSON or YAML; (file name, text) of each."""
    written = []
    for name, document in documents.items():
        path = outdir / name
        if (
            args.template_format == "yaml"
            and name.endswith(".json")
            and args.pkg_format != "terraform"
        ):
            path = path.with_suffix(".yaml")
            text = _yaml(document)
        else:
            text = json.dumps(document, indent=2) + "\n"
        path.write_text(text, encoding="utf-8")
        written.append((path.name, text))
    return written


def _inputs_elsewhere(project_dir: Path, built: BuiltPackage) -> list[str]:
    """Files the build read outside the folders a repeat stamps: requirement files nested
    from elsewhere (`-r ../shared.txt`), policy files named outside .chalice/."""
    from ._wheels import requirement_files

    files = requirement_files(project_dir / "requirements.txt")
    chalice_dir = project_dir / ".chalice"
    names = [config.iam_policy_file for config in built.configs.values()]
    names.append(built.stage_config.api_gateway_policy_file)
    files += [(chalice_dir / name).resolve() for name in names if name]
    return sorted({str(path) for path in files if not _stamped_anyway(path, project_dir)})


def _stamped_anyway(path: Path, project_dir: Path) -> bool:
    """Whether a repeat's fingerprint covers `path` already: a file at the project's top
    level or under chalicelib/, vendor/ or .chalice/."""
    if not path.is_relative_to(project_dir):
        return False
    parts = path.relative_to(project_dir).parts
    return len(parts) == 1 or parts[0] in ("chalicelib", "vendor", ".chalice")


def _yaml(document: dict[str, Any]) -> str:
    import yaml

    class NoAliases(yaml.SafeDumper):
        # An object used twice (the same tags on every function) would be written once
        # as an anchor (&id001) and then as aliases (*id001): CloudFormation refuses
        # them (cfn-lint W1101), so each use is written out in full.
        def ignore_aliases(self, data: Any) -> bool:
            return True

    # CloudFormation reads YAML 1.1; plain block style, keys in the template's own order.
    text: str = yaml.dump(
        document, Dumper=NoAliases, sort_keys=False, default_flow_style=False, width=1000
    )
    return text


def _generate_models(args: argparse.Namespace) -> int:
    from .._tooling._config import resolve_stage_config
    from .._tooling._openapi import openapi_document

    project_dir = Path(args.project_dir).resolve()
    manifest = read_manifest(project_dir, args.stage)
    stage_config = resolve_stage_config(project_dir, args.stage, manifest.app_name)
    manifest = dataclasses.replace(manifest, app_name=stage_config.app_name)
    document = openapi_document(manifest, stage_config, version=args.openapi_version)
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
