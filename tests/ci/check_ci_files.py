#!/usr/bin/python3
"""Keeps the CI examples a team copies honest, without running them: the GitHub workflows in
.github/workflows/ and the Kubernetes manifests in .ci/kubernetes/ are parsed (PyYAML) and
checked for the mistakes that only show on the CI machine, at night:

workflows: every job has runs-on and steps, every step exactly one of uses/run, actions pinned
  to a major version (@vN); `needs` and `needs.X`/`steps.X` references name existing jobs and
  earlier steps; a shard matrix lists exactly 1..N, N agrees with env SHARDS and with every
  SHARD=I/N, --shard I/N and shard-I-of-N.json (I being matrix.shard), fail-fast is off and its
  uploads run if: always(); the jobs that need it run if: always(); a download pattern matches
  an uploaded artifact; a status a step captures is read by a later step's `if`; a workflow that
  makes baselines has workflow_dispatch and runs on the machine class (runs-on, container) of the
  workflow that gates.
Kubernetes: apiVersion/kind/name; Jobs are batch/v1 with restartPolicy Never and a small
  backoffLimit (0 when the pod's exit code is merge's verdict); an Indexed Job has completions ==
  parallelism == the N of SHARD=$((JOB_COMPLETION_INDEX + 1))/N; PVC claim names exist and are
  ReadWriteMany; a claim is mounted at the same path everywhere and scripts use that path; every
  container that clones has the same REPO_URL and REVISION.
action.yml (the composite action teams call, and this repository's workflows use as `./`):
  composite, run steps name their shell, inputs and step ids referenced exist, actions pinned.
  A workflow step that uses it counts as gating (mode check, ab) or making baselines (mode
  baseline) for the machine-class check, its with.shard as an I/N, its artifacts as uploads.
With --memgate PATH, the workflow `memgate init` writes for a team is generated and checked too.
All: shellcheck on every run block (-s bash, or -s sh for shell: sh) and every container script
  (bash -c / sh -c), with ${{ ... }} replaced by a placeholder word.

usage: check_ci_files.py SOURCE_DIR [--memgate PATH]              exit 0 ok, 1 a problem
       check_ci_files.py --self-test SOURCE_DIR   each check fails on a broken copy of the files
Exit 77 (CTest: skipped) when PyYAML or shellcheck is missing, unless CI=true: `make deps`
(DEPS_TEST) installs both, so on CI a missing one is a broken setup and fails.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

# The checks live next to this file (imported whatever the cwd), without a __pycache__ there.
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
sys.dont_write_bytecode = True
from ci_checks_action import ACTION_FILE, ActionChecks  # noqa: E402
from ci_checks_kubernetes import KUBE_DIR, KubernetesChecks  # noqa: E402
from ci_checks_workflows import EXPR, WORKFLOW_DIR, WorkflowChecks  # noqa: E402

SKIP = 77


def require_tools():
    """Imports yaml, or exits 77 (1 under CI=true) naming the Debian package."""
    missing = []
    try:
        import yaml  # noqa: F401
    except ImportError:
        missing.append("python3-yaml (import yaml)")
    if not shutil.which("shellcheck"):
        missing.append("shellcheck")
    if not missing:
        return
    if os.environ.get("CI") == "true":
        print("check_ci_files: missing although CI=true: %s; `make deps` (DEPS_TEST) installs it"
              % ", ".join(missing))
        sys.exit(1)
    print("SKIPPED: missing %s (run `make test` as root, or apt-get install python3-yaml "
          "shellcheck)" % ", ".join(missing))
    sys.exit(SKIP)


class Checker(WorkflowChecks, KubernetesChecks, ActionChecks):
    """Both sets of checks over one source tree: problem() and shellcheck() here, the workflow
    checks in ci_checks_workflows.py, the Kubernetes ones in ci_checks_kubernetes.py; __init__
    holds what they collect for across_files()."""

    def __init__(self, root, memgate=None):
        self.root = root
        self.memgate = memgate  # to generate the workflow `memgate init` writes
        self.problems = []
        self.notes = []
        self.gate_machines = {}      # (runs-on, container) of jobs that run make memgate: file
        self.baseline_machines = []  # (file, job path, (runs-on, container))
        self.pvcs = {}               # claim name -> file
        self.claims = []             # (file, path, claim name, mountPath)
        self.clone_env = {}          # REPO_URL/REVISION -> {value: first file:path}

    def problem(self, where, message):
        self.problems.append("%s: %s" % (where, message))

    def shellcheck(self, where, script, shell):
        script = EXPR.sub("GHA_EXPR", script)
        out = subprocess.run(["shellcheck", "-s", shell, "-f", "gcc", "-"], input=script,
                             capture_output=True, text=True)
        if out.returncode != 0:
            for line in (out.stdout + out.stderr).splitlines():
                self.problem(where, "shellcheck -s %s: line %s" % (shell, line.partition(":")[2]))
        return 1

    def run(self):
        wf_files = sorted(glob.glob(os.path.join(self.root, WORKFLOW_DIR, "*.y*ml")))
        kube_files = sorted(glob.glob(os.path.join(self.root, KUBE_DIR, "*.y*ml")))
        if not wf_files or not kube_files:
            self.problem(self.root, "no YAML files in %s or %s" % (WORKFLOW_DIR, KUBE_DIR))
        kube_docs = []
        for path in wf_files + kube_files:
            rel = os.path.relpath(path, self.root)
            try:
                with open(path, encoding="utf-8") as f:
                    docs = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                self.problem(rel, "not YAML: %s" % e)
                continue
            if path in wf_files:
                if len(docs) != 1 or not isinstance(docs[0], dict):
                    self.problem(rel, "a workflow is one YAML mapping")
                else:
                    self.workflow(rel, docs[0])
            else:
                kube_docs += [(rel, "[%d]" % i, d) for i, d in enumerate(docs)]
        self.check_action()
        self.check_init_workflow()
        for rel, where, doc in kube_docs:  # PVCs first: Jobs of any file may use them
            if isinstance(doc, dict) and doc.get("kind") == "PersistentVolumeClaim":
                self.pvc(rel + ": " + where, doc)
        for rel, where, doc in kube_docs:
            self.kube(rel, rel + ": " + where, doc)
        self.across_files()

    def load_yaml(self, path, rel):
        try:
            with open(path, encoding="utf-8") as f:
                return yaml.safe_load(f)
        except (OSError, yaml.YAMLError) as e:
            self.problem(rel, "not readable YAML: %s" % e)
            return None

    def check_action(self):
        path = os.path.join(self.root, ACTION_FILE)
        if not os.path.exists(path):
            self.problem(self.root, "no %s: teams call memgate's action by it" % ACTION_FILE)
            return
        action = self.load_yaml(path, ACTION_FILE)
        if isinstance(action, dict):
            self.action(ACTION_FILE, action)

    def check_init_workflow(self):
        """The workflow memgate init writes into a team's repository, generated here."""
        if not self.memgate:
            return
        with tempfile.TemporaryDirectory(prefix="check_ci_files.init.") as tmp:
            out = subprocess.run([self.memgate, "init", "--dir", tmp], capture_output=True,
                                 text=True)
            rel = "memgate init: " + WORKFLOW_DIR + "/memgate.yml"
            if out.returncode != 0:
                self.problem(rel, "memgate init failed: %s" % (out.stdout + out.stderr))
                return
            wf = self.load_yaml(os.path.join(tmp, WORKFLOW_DIR, "memgate.yml"), rel)
            if isinstance(wf, dict):
                self.workflow(rel, wf)

    def across_files(self):
        """What only holds between files: Kubernetes first, then the workflows."""
        self.kube_across_files()
        self.workflows_across_files()


def check(root, memgate=None):
    c = Checker(root, memgate)
    c.run()
    return c


# ---- self-test: every check must be able to fail ----
def job(docs, job_id):
    return docs[0]["jobs"][job_id]


def step(docs, job_id, name_part):
    return next(s for s in job(docs, job_id)["steps"]
                if name_part in str(s.get("name", "")) + str(s.get("uses", "")))


def kube_job(docs, name):
    return next(d for d in docs if d.get("metadata", {}).get("name") == name)


def container(docs, name):
    return kube_job(docs, name)["spec"]["template"]["spec"]["containers"][0]


ACTION = ACTION_FILE
NIGHTLY = WORKFLOW_DIR + "/memgate-nightly.yml"
BASELINES = WORKFLOW_DIR + "/memgate-baselines.yml"
SHARDED = KUBE_DIR + "/memgate-sharded.yaml"
MERGE = KUBE_DIR + "/memgate-merge.yaml"

# (what is broken, file, how, a text the problem must contain)
BREAKAGES = [
    ("matrix 1..3, SHARDS 4", NIGHTLY,
     lambda d: job(d, "shards")["strategy"]["matrix"].update(shard=[1, 2, 3]), "env SHARDS is 4"),
    ("matrix 1..3 and SHARDS 3, shard .../4", NIGHTLY, lambda d: (
        job(d, "shards")["strategy"]["matrix"].update(shard=[1, 2, 3]),
        d[0]["env"].update(SHARDS=3),
        step(d, "shards", "Gate")["with"].update(shard="${{ matrix.shard }}/4")), "uses N = 4"),
    ("matrix 0..3", NIGHTLY,
     lambda d: job(d, "shards")["strategy"]["matrix"].update(shard=[0, 1, 2, 3]), "exactly 1..N"),
    ("fail-fast on", NIGHTLY,
     lambda d: job(d, "shards")["strategy"].update({"fail-fast": True}), "fail-fast"),
    ("a step with uses and run", NIGHTLY,
     lambda d: step(d, "merge", "actions/checkout").update(run="true"), "exactly one of"),
    ("needs an unknown job", NIGHTLY, lambda d: job(d, "merge").update(needs="shard"),
     "no job of this workflow"),
    ("merge without if: always()", NIGHTLY, lambda d: job(d, "merge").pop("if"), "always()"),
    ("shard upload without if: always()", BASELINES,
     lambda d: step(d, "collect", "download").update({"if": "always()"}) or job(d, "shards")[
         "steps"].append({"name": "upload", "uses": "actions/upload-artifact@v4",
                          "with": {"name": "x-${{ matrix.shard }}", "path": "x"}}),
     "upload must run"),
    ("a shard's artifact the merge does not download", NIGHTLY,
     lambda d: step(d, "shards", "Gate")["with"].update(artifact="memgate-${{ matrix.shard }}"),
     "matches no uploaded artifact"),
    ("the action in an unknown mode", NIGHTLY,
     lambda d: step(d, "shards", "Gate")["with"].update(mode="gate"), "not 'gate'"),
    ("a composite run step without shell", ACTION,
     lambda d: d[0]["runs"]["steps"][0].pop("shell"), "needs `shell`"),
    ("an undeclared input", ACTION, lambda d: d[0]["inputs"].pop("base"), "does not declare"),
    ("an output of no step", ACTION,
     lambda d: d[0]["outputs"]["status"].update(value="${{ steps.gate.outputs.status }}"),
     "no step's id"),
    ("an unpinned action", NIGHTLY,
     lambda d: step(d, "merge", "actions/checkout").update(uses="actions/checkout@main"), "pinned"),
    ("an if reading an unknown step", NIGHTLY, lambda d: step(d, "merge", "Fail").update(
        {"if": "steps.merged.outputs.status != '0'"}), "steps.merged"),
    ("the captured status never read", NIGHTLY, lambda d: job(d, "merge")["steps"].pop(),
     "verdict would be lost"),
    ("a download matching no upload", NIGHTLY,
     lambda d: step(d, "merge", "download")["with"].update(pattern="memgate-shards-*"),
     "matches no uploaded artifact"),
    ("a shellcheck finding", NIGHTLY, lambda d: step(d, "merge", "Trend").update(
        run=step(d, "merge", "Trend")["run"] + "for f in $(ls reports); do echo $f; done\n"),
     "SC2045"),
    ("baselines without workflow_dispatch", BASELINES,
     lambda d: (d[0].pop(True), d[0].update({True: {"push": None}})), "workflow_dispatch"),
    ("baselines on another machine class", BASELINES,
     lambda d: job(d, "shards").update({"runs-on": "ubuntu-22.04"}), "machine class"),
    ("collect refers to needs it lacks", BASELINES, lambda d: job(d, "collect").update(needs=[]),
     "does not need that job"),
    ("a job without runs-on", BASELINES, lambda d: job(d, "collect").pop("runs-on"),
     "runs-on and steps"),
    ("shard with another index", NIGHTLY, lambda d: step(d, "shards", "Gate")["with"].update(
        shard="1/${{ env.SHARDS }}"), "not ${{ matrix.shard }}"),
    ("SHARD=.../3 in a pod of 4", SHARDED, lambda d: container(d, "memgate-shards").update(
        args=[container(d, "memgate-shards")["args"][0].replace("+ 1))/4", "+ 1))/3")]),
     "must agree"),
    ("a mount of no volume", SHARDED, lambda d: container(d, "memgate-shards")[
        "volumeMounts"][0].update(name="report"), "mounts no volume"),
    ("completions 3, SHARD=.../4", SHARDED,
     lambda d: kube_job(d, "memgate-shards")["spec"].update(completions=3), "must agree"),
    ("restartPolicy OnFailure", SHARDED, lambda d: kube_job(d, "memgate-shards")["spec"][
        "template"]["spec"].update(restartPolicy="OnFailure"), "restartPolicy"),
    ("a Job of batch/v1beta1", SHARDED,
     lambda d: kube_job(d, "memgate-shards").update(apiVersion="batch/v1beta1"), "batch/v1"),
    ("a ReadWriteOnce claim", SHARDED,
     lambda d: d[0]["spec"].update(accessModes=["ReadWriteOnce"]), "ReadWriteMany"),
    ("sh -c running a bash script", SHARDED, lambda d: container(d, "memgate-shards").update(
        command=["sh", "-c"], args=[container(d, "memgate-shards")["args"][0] + "[[ -d x ]]\n"]),
     "shellcheck -s sh"),
    ("a claimName typo", MERGE, lambda d: kube_job(d, "memgate-merge")["spec"]["template"][
        "spec"]["volumes"][0]["persistentVolumeClaim"].update(claimName="memgate-report"),
     "no PersistentVolumeClaim"),
    ("another mountPath", MERGE, lambda d: container(d, "memgate-merge")["volumeMounts"][0].update(
        mountPath="/data"), "different mountPaths"),
    ("merge retried", MERGE,
     lambda d: kube_job(d, "memgate-merge")["spec"].update(backoffLimit=2), "must be 0"),
    ("another REVISION", MERGE, lambda d: container(d, "memgate-merge")["env"][1].update(
        value="v0"), "REVISION differs"),
]


def self_test(root):
    failures = 0
    with tempfile.TemporaryDirectory(prefix="check_ci_files.") as tmp:
        def fresh():
            for d in (WORKFLOW_DIR, KUBE_DIR):
                shutil.rmtree(os.path.join(tmp, d), ignore_errors=True)
                shutil.copytree(os.path.join(root, d), os.path.join(tmp, d))
            shutil.copy(os.path.join(root, ACTION_FILE), os.path.join(tmp, ACTION_FILE))
        fresh()
        base = check(tmp).problems
        if base:
            print("self-test: the shipped files fail already:\n  " + "\n  ".join(base))
            return 1
        # Broken copies are written back by yaml.safe_dump_all: unbroken, that must pass too.
        for what, rel, breakage, expected in [("nothing", r, lambda d: d, None)
                                              for r in (NIGHTLY, BASELINES, SHARDED, MERGE,
                                                        ACTION)] \
                + BREAKAGES:
            fresh()
            path = os.path.join(tmp, rel)
            with open(path, encoding="utf-8") as f:
                docs = list(yaml.safe_load_all(f))
            breakage(docs)
            with open(path, "w", encoding="utf-8") as f:
                yaml.safe_dump_all(docs, f, sort_keys=False)
            problems = check(tmp).problems
            if expected is None:
                if problems:
                    failures += 1
                    print("self-test: %s rewritten by PyYAML fails: %r" % (rel, problems))
                continue
            if any(expected in p for p in problems):
                print("self-test: caught  %-40s %s" % (what, next(p for p in problems
                                                                    if expected in p)[:150]))
            else:
                failures += 1
                print("self-test: MISSED  %s (%s): expected a problem with %r, got %r"
                      % (what, rel, expected, problems))
    print("self-test: %d of %d breakages caught" % (len(BREAKAGES) - failures, len(BREAKAGES)))
    return 1 if failures else 0


def main(argv):
    args = [a for a in argv[1:] if a != "--self-test"]
    memgate = None
    if "--memgate" in args:
        at = args.index("--memgate")
        memgate = args[at + 1] if at + 1 < len(args) else None
        del args[at:at + 2]
    if len(args) != 1 or ("--memgate" in argv and not memgate):
        print(__doc__)
        return 2
    require_tools()
    global yaml
    import yaml
    if "--self-test" in argv:
        return self_test(args[0])
    c = check(args[0], memgate)
    for note in c.notes:
        print("checked " + note)
    for p in c.problems:
        print("PROBLEM " + p)
    print("%d problem(s)" % len(c.problems))
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
