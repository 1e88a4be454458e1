"""Starting the desk under uvicorn (a production ASGI server), and the binding rule."""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
from pathlib import Path

from handout_builder.desk.app import Desk, create_app
from handout_builder.desk.config import DeskConfig
from handout_builder.desk.library_cache import default_folder
from handout_builder.domain.problems import InvalidOption, Problem


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, config: DeskConfig, config_file: Path | None) -> None:
    """Anything but loopback only with staff sign-in configured (``InvalidOption`` otherwise)."""
    if is_loopback(host) or config.signs_in:
        return
    raise InvalidOption(Problem(
        str(config_file) if config_file else "command line",
        f"The desk would be open to the network on {host} without staff sign-in.",
        "Configure sign-in (accounts or a reverse-proxy header) in the file given with "
        "--config, or serve on 127.0.0.1 only (see the README, 'The front desk').",
        field="--host"))


def serve(library: Path, brands: list[Path], config: DeskConfig, host: str, port: int,
          config_file: Path | None = None) -> None:
    import uvicorn

    check_binding(host, config, config_file)
    workers = config.workers or max(1, min(4, os.cpu_count() or 1))
    cache = (config.cache_folder or default_folder()) if config.library_cache else None
    desk = Desk(library, brands, config, workers=workers, library_cache=cache)
    app = create_app(desk)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s desk: %(message)s"))
    logger = logging.getLogger("handout_builder.desk")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    shown = f"[{host}]" if ":" in host else host
    logger.info("%d leaflet files in %s; open http://%s:%d/ (Ctrl+C stops)",
                len(service_files(library)), library, shown, port)
    uvicorn.run(app, host=host, port=port, access_log=False, proxy_headers=False,
                server_header=False, log_level="warning", workers=1)


def service_files(library: Path) -> list[Path]:
    from handout_builder import service

    return service.library_topic_files(library)
