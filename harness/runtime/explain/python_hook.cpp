#include "runtime/explain/python_hook.hpp"

#include <fmt/format.h>

#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"

namespace memgate {

const std::string& python_hook_source() {
  static const std::string kSource =
      R"PY(# memgate explain: tracemalloc snapshots of this Python process (written by memgate; see
# harness/runtime/explain/python_hook.hpp). It does nothing without MEMGATE_EXPLAIN_DIR.
import os
import sys


def _memgate_explain():
    out_dir = os.environ.get("MEMGATE_EXPLAIN_DIR")
    if not out_dir:
        return
    import atexit
    import json
    import json.encoder
    import linecache
    import signal
    import threading
    import tracemalloc

    if not tracemalloc.is_tracing():
        tracemalloc.start(int(os.environ.get("PYTHONTRACEMALLOC") or 1))
    os.makedirs(out_dir, exist_ok=True)
    marker = os.path.join(out_dir, "load-ended")
    taken = set()
    # Reentrant: SIGTERM may arrive in the main thread while it writes the atexit snapshot.
    lock = threading.RLock()
    # The hook's own allocations and the modules it uses to write, left out of the tables. Rows
    # are filtered after grouping: filtering every trace costs seconds on a big heap.
    ignored = {tracemalloc.__file__, __file__, linecache.__file__, json.__file__,
               json.encoder.__file__}

    def snapshot(moment):
        with lock:
            key = (os.getpid(), moment)
            if key in taken:
                return
            taken.add(key)
            traced, peak = tracemalloc.get_traced_memory()
            stats = tracemalloc.take_snapshot().statistics("lineno")
            rows = []
            for stat in stats:
                frame = stat.traceback[0]
                if frame.filename in ignored:
                    continue
                if len(rows) == 500:
                    break
                rows.append({"file": frame.filename, "line": frame.lineno,
                             "size_bytes": stat.size, "count": stat.count,
                             "code": linecache.getline(frame.filename, frame.lineno).strip()[:200]})
            doc = {"schema": "memgate-tracemalloc", "version": 1, "pid": os.getpid(),
                   "moment": moment, "traced_bytes": traced, "traced_peak_bytes": peak,
                   "frames": tracemalloc.get_traceback_limit(), "stats": rows}
            path = os.path.join(out_dir, "%s.%d.json" % (moment, os.getpid()))
            with open(path + ".tmp", "w") as out:
                json.dump(doc, out)
            os.replace(path + ".tmp", path)

    def watch_load_end():
        stop = threading.Event()
        while not stop.wait(0.05):
            if os.path.exists(marker):
                snapshot("load-end")
                return

    def start_watch():
        threading.Thread(target=watch_load_end, name="memgate-explain", daemon=True).start()

    def after_fork_in_child():
        # A lock the parent's watcher thread held at the fork would stay held here forever.
        nonlocal lock
        lock = threading.RLock()
        start_watch()

    def on_sigterm(signum, frame):
        snapshot("exit")
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    start_watch()
    os.register_at_fork(after_in_child=after_fork_in_child)
    atexit.register(snapshot, "exit")
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, on_sigterm)


def _chain():
    # The sitecustomize this one shadows (Debian's /etc/python3.X/sitecustomize.py), if any.
    here = os.path.dirname(os.path.abspath(__file__))
    saved_path = sys.path[:]
    mine = sys.modules.pop("sitecustomize", None)
    try:
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
        import importlib.util
        if importlib.util.find_spec("sitecustomize") is not None:
            import sitecustomize  # noqa: F401
    finally:
        sys.path[:] = saved_path
        if mine is not None:
            sys.modules["sitecustomize"] = mine


try:
    _memgate_explain()
except Exception as error:  # a profiler must never stop the program
    print("memgate explain: tracemalloc hook failed: %r" % (error,), file=sys.stderr)
_chain()
)PY";
  return kSource;
}

void write_python_hook(const std::string& dir) {
  if (const std::error_code ec = make_folders(dir)) {
    throw RunError(fmt::format("cannot create {}: {}", dir, ec.message()),
                   "choose another report folder with --out");
  }
  write_file_atomic(dir + "/sitecustomize.py", python_hook_source(), Masking::none);
}

}  // namespace memgate
