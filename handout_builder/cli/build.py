"""``make-handout build``: a whole library, incrementally, with progress."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from handout_builder import service
from handout_builder.build.batch import BuildConfig, default_jobs
from handout_builder.build.executor import DEFAULT_TIMEOUT
from handout_builder.cli import render_options
from handout_builder.cli.common import check_brand_dir, report, skipped
from handout_builder.cli.progress import reporter_for, summary
from handout_builder.domain import review
from handout_builder.domain.problems import EXIT_BUG, EXIT_INVALID, EXIT_OK, EXIT_USAGE, printable


def run(args: argparse.Namespace) -> int:
    if (args.executor == "dask") != (args.scheduler is not None):
        print("make-handout build: error: --executor dask and --scheduler ADDRESS go together "
              "(for example --executor dask --scheduler tcp://scheduler:8786)", file=sys.stderr)
        return EXIT_USAGE
    if args.executor == "dask" and importlib.util.find_spec("distributed") is None:
        print("error: --executor dask needs Dask distributed, which is not installed. Fix: "
              "pip install 'make-handout[dask]'", file=sys.stderr)
        return EXIT_INVALID
    request = BuildConfig(
        library=args.library, out_dir=args.out, brand_dir=args.brand,
        jobs=args.jobs or default_jobs(), force=args.force,
        render=render_options(args), as_of=args.as_of or review.today(),
        allow_draft=args.allow_draft, timeout=args.timeout or DEFAULT_TIMEOUT,
        executor=args.executor, scheduler=args.scheduler,
        brands=args.brands, languages=args.languages, variants=args.variants,
        index_base=args.index_base,
    )
    for brand in args.brands:
        check_brand_dir(brand)
    library = service.build_library(request, reporter_for(sys.stderr, sys.stdout))
    if library.problems:
        report(library.problems)
        return EXIT_INVALID
    result = library.build
    assert result is not None
    for outcome in sorted(result.failed, key=lambda o: o.source.rel):
        if outcome.bug:
            print(f"error: {printable(str(outcome.source.path))}: internal error while rendering "
                  f"this topic (a bug in make_handout; please report it):\n{outcome.bug}",
                  file=sys.stderr)
        for problem in outcome.problems:
            print(f"error: {problem}", file=sys.stderr)
        skipped(outcome.source.path)
    print(summary(result))
    if result.has_bug:
        return EXIT_BUG
    return EXIT_INVALID if result.failed else EXIT_OK
