"""Run a module as ``__main__`` and report this process's peak RSS (VmHWM) on stderr.

``os.wait4``'s ru_maxrss of a child can include the parent's pages copied at fork, so a parent that
has grown (after running librosa, say) would inflate every child's figure; VmHWM belongs to the
exec'd image alone. Usage: ``python -m bench.memprobe MODULE [ARGS...]``.
"""

from __future__ import annotations

import runpy
import sys

MARK = "VmHWM_kB="


def peak_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    module, sys.argv = sys.argv[1], sys.argv[1:]
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    sys.stdout.flush()
    print(f"{MARK}{peak_kb()}", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
