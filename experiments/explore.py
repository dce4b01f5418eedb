"""Start the interactive view of the election model (a Solara page around sim.ElectionModel).

    python experiments/explore.py               # http://localhost:8765, opens nothing
    python experiments/explore.py --port 9000

Needs the ``viz`` extra: ``pip install -e '.[viz]'``. The page is ``sim.interop.solara_view:page``;
``solara run sim.interop.solara_view`` serves the same page.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Serve the page until interrupted: this process becomes the Solara server.

    The server replaces this process (``os.execv``) rather than running as its child, so stopping
    this process stops the server too.

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    parser.add_argument("--host", default="localhost", help="address to listen on (default localhost)")
    args = parser.parse_args(argv)
    cmd = [
        sys.executable, "-m", "solara", "run", "sim.interop.solara_view",
        "--host", args.host, "--port", str(args.port), "--production", "--no-open",
    ]  # fmt: skip
    print(f"Serving the interactive view on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    os.execv(sys.executable, cmd)


if __name__ == "__main__":
    main()
