"""The GitHub workflow checks of check_ci_files.py (its docstring lists them): WorkflowChecks, a
part of its Checker, and the ${{ ... }} text helpers the Kubernetes checks share.
"""
import fnmatch
import re

WORKFLOW_DIR = ".github/workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@v\d+$")
# memgate's own action: this repository's (./) or a team's reference to it (owner/memgate@vN).
MEMGATE_ACTION = re.compile(r"^(\./?|[\w.-]+/memgate@v\d+)$")
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.S)
# I/N after SHARD= or --shard, once ${{ x }} became @x@ (see normalized()).
SHARD_ARG = re.compile(r"(?:\bSHARD=|--shard[ =])[\"']?([^\s\"'/]+)/([^\s\"';|&)]+)")
# shard-I-of-N.json, not a glob of them (shard-*-of-*.json).
MANIFEST = re.compile(r"shard-([^\s\"'/*]+?)-of-([^\s\"'/*]+?)\.json")


def normalized(text):
    """${{ matrix.shard }} -> @matrix.shard@, and without shell comment lines."""
    text = EXPR.sub(lambda m: "@" + re.sub(r"\s+", "", m.group(1)) + "@", text)
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))


def expressions(value):
    """The text inside every ${{ }} of a string, list or mapping."""
    if isinstance(value, dict):
        return [e for v in value.values() for e in expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in expressions(v)]
    return EXPR.findall(value) if isinstance(value, str) else []


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class WorkflowChecks:
    """Checks of .github/workflows/*.yml. Mixed into check_ci_files.Checker, whose problem(),
    shellcheck(), notes, gate_machines and baseline_machines it uses."""

    def workflow(self, rel, wf):
        on = wf.get(True, wf.get("on"))  # PyYAML reads the key `on` as True (YAML 1.1)
        jobs = wf.get("jobs")
        if not on or not isinstance(jobs, dict) or not jobs:
            self.problem(rel, "needs `on` and at least one job")
            return
        wf_shell = ((wf.get("defaults") or {}).get("run") or {}).get("shell", "bash")
        matrices = {}  # job id -> N of its shard matrix
        for job_id, job in jobs.items():
            shard = (((job or {}).get("strategy") or {}).get("matrix") or {}).get("shard")
            if shard is not None:
                matrices[job_id] = self.matrix(rel, job_id, job, shard)
        uploads, downloads, shellchecked, steps_total = [], [], 0, 0
        for job_id, job in jobs.items():
            where = "%s: jobs.%s" % (rel, job_id)
            if not isinstance(job, dict) or "runs-on" not in job or not job.get("steps"):
                self.problem(where, "every job needs runs-on and steps")
                continue
            needs = as_list(job.get("needs"))
            for need in needs:
                if need not in jobs:
                    self.problem(where, "needs `%s`, which is no job of this workflow" % need)
            for ref in re.findall(r"\bneeds\.([\w-]+)", " ".join(
                    [str(job.get("if", ""))] + expressions(job.get("steps")))):
                if ref not in needs:
                    self.problem(where, "refers to needs.%s but does not need that job" % ref)
            if any(n in matrices for n in needs) and "always()" not in str(job.get("if", "")):
                self.problem(where, "needs the shard matrix but lacks `if: always()`: one failed "
                             "shard would skip the merged verdict")
            env = dict(wf.get("env") or {}, **(job.get("env") or {}))
            n = matrices.get(job_id)
            if n is not None and "SHARDS" in env and str(env["SHARDS"]) != str(n):
                self.problem(where, "env SHARDS is %s but matrix.shard has %d values"
                             % (env["SHARDS"], n))
            job_shell = ((job.get("defaults") or {}).get("run") or {}).get("shell", wf_shell)
            machine = (str(job["runs-on"]), str(job.get("container")))
            ids, status_ids, read_ifs = [], [], []
            for i, step in enumerate(job["steps"]):
                steps_total += 1
                swhere = "%s.steps[%d] (%s)" % (where, i, step.get("name", step.get("uses", "")))
                if ("uses" in step) == ("run" in step):
                    self.problem(swhere, "a step has exactly one of `uses` and `run`")
                    continue
                step_if = str(step.get("if", ""))
                for ref in re.findall(r"\bsteps\.([\w-]+)", " ".join(
                        [step_if] + expressions([step.get("env"), step.get("with"),
                                                 step.get("run")]))):
                    if ref not in ids:
                        self.problem(swhere, "refers to steps.%s, no earlier step's id" % ref)
                read_ifs.append(step_if)
                texts = [str(v) for v in (step.get("env") or {}).values()]
                if "uses" in step and MEMGATE_ACTION.match(str(step["uses"])):
                    self.memgate_step(rel, swhere, step, step_if, n, env, on, machine, uploads)
                elif "uses" in step:
                    uses = str(step["uses"])
                    if not PINNED.match(uses):
                        self.problem(swhere, "`%s` is not pinned to a major version (@vN)" % uses)
                    name = str((step.get("with") or {}).get("name", ""))
                    if uses.startswith("actions/upload-artifact@"):
                        if n is not None and "always()" not in step_if:
                            self.problem(swhere, "a shard's upload must run `if: always()`")
                        values = range(1, n + 1) if n else [None]
                        uploads += [EXPR.sub(lambda m, v=v: str(v) if "matrix.shard" in
                                             m.group(1) else "*", name) for v in values]
                    if uses.startswith("actions/download-artifact@"):
                        downloads.append((swhere, (step.get("with") or {}).get("pattern")
                                          or name))
                else:
                    run = str(step["run"])
                    texts.append(run)
                    shell = str(step.get("shell", job_shell)).split()[0]
                    if shell in ("bash", "sh"):
                        shellchecked += self.shellcheck(swhere, run, shell)
                    else:
                        self.notes.append("%s: shell %s, not shellchecked" % (swhere, shell))
                    if re.search(r"\bstatus=.*GITHUB_OUTPUT", run):
                        if "id" not in step:
                            self.problem(swhere, "captures a status without an id to read it by")
                        else:
                            status_ids.append((swhere, step["id"], len(read_ifs)))
                    if re.search(r"^\s*make\b.*\sbaselines\b", normalized(run), re.M):
                        self.baseline_machines.append((rel, where, machine))
                        triggers = on if isinstance(on, (dict, list)) else [on]
                        if "workflow_dispatch" not in triggers:
                            self.problem(rel, "makes baselines but has no `workflow_dispatch`")
                    if re.search(r"^\s*make\b.*\smemgate\b", normalized(run), re.M):
                        self.gate_machines.setdefault(machine, rel)
                if "id" in step:
                    ids.append(step["id"])
                self.shard_refs(swhere, "\n".join(normalized(t) for t in texts), n, env)
            for swhere, sid, after in status_ids:
                if not any("steps.%s.outputs.status" % sid in s for s in read_ifs[after:]):
                    self.problem(swhere, "its status is captured but no later step's `if` reads "
                                 "steps.%s.outputs.status: the verdict would be lost" % sid)
        for swhere, pattern in downloads:
            if not pattern or not any(fnmatch.fnmatchcase(u, pattern) for u in uploads):
                self.problem(swhere, "download `%s` matches no uploaded artifact (%s)"
                             % (pattern, ", ".join(uploads)))
        for job_id in matrices:
            if not any(job_id in as_list((j or {}).get("needs")) for j in jobs.values()):
                self.problem("%s: jobs.%s" % (rel, job_id), "no job needs the shards: no merge")
        self.notes.append("%s: %d jobs, %d steps, %d run blocks shellchecked, shard matrix: %s"
                          % (rel, len(jobs), steps_total, shellchecked,
                             ", ".join("jobs.%s 1..%d" % kv for kv in matrices.items()) or "none"))

    def memgate_step(self, rel, where, step, step_if, n, env, on, machine, uploads):
        """A step that uses memgate's action: with.mode says whether it gates (check, ab) or
        makes baselines; with.shard is an I/N like --shard; it uploads with.artifact (and, making
        baselines, with.baselines-artifact), whatever the verdict (inside the action)."""
        given = step.get("with") or {}
        mode = str(given.get("mode", "check"))
        if mode == "baseline":
            self.baseline_machines.append((rel, where, machine))
            triggers = on if isinstance(on, (dict, list)) else [on]
            if "workflow_dispatch" not in triggers:
                self.problem(rel, "makes baselines but has no `workflow_dispatch`")
        elif mode in ("check", "ab") or EXPR.search(mode):
            self.gate_machines.setdefault(machine, rel)
        else:
            self.problem(where, "with.mode is check, ab or baseline, not %r" % mode)
        shard = given.get("shard")
        if shard is not None:
            self.shard_refs(where, "--shard " + normalized(str(shard)), n, env)
        names = [given.get("artifact", "memgate-reports")]
        if mode == "baseline":
            names.append(given.get("baselines-artifact", "memgate-baselines"))
        values = range(1, n + 1) if n else [None]
        for name in names:
            uploads += [EXPR.sub(lambda m, v=v: str(v) if "matrix.shard" in m.group(1)
                                 else "*", str(name)) for v in values]

    def matrix(self, rel, job_id, job, shard):
        where = "%s: jobs.%s.strategy" % (rel, job_id)
        if not isinstance(shard, list) or shard != list(range(1, len(shard) + 1)):
            self.problem(where, "matrix.shard must list exactly 1..N in order, got %r" % (shard,))
        if job["strategy"].get("fail-fast") is not False:
            self.problem(where, "fail-fast must be false: one shard's failure would cancel the "
                         "others")
        return len(shard) if isinstance(shard, list) else 0

    def shard_refs(self, where, text, n, env):
        """Every I/N of SHARD=, --shard and shard-I-of-N.json: I is matrix.shard, N the matrix's."""
        for pattern, what in ((SHARD_ARG, "SHARD=/--shard"), (MANIFEST, "shard-I-of-N.json")):
            for index, total in pattern.findall(text):
                if n is None:
                    self.problem(where, "%s %s/%s outside a shard matrix job"
                                 % (what, index, total))
                    continue
                if index != "@matrix.shard@":
                    self.problem(where, "%s: I is %s, not ${{ matrix.shard }}" % (what, index))
                value = total
                if total in ("$SHARDS", "${SHARDS}", "@env.SHARDS@"):
                    value = str(env.get("SHARDS", "(unset)"))
                if value != str(n):
                    self.problem(where, "%s uses N = %s (%s) but matrix.shard lists 1..%d"
                                 % (what, value, total, n))

    def workflows_across_files(self):
        """A workflow that makes baselines runs on the machine class of the one that gates."""
        for rel, where, machine in self.baseline_machines:
            if self.gate_machines and machine not in self.gate_machines:
                self.problem(where, "makes baselines on %s, not on the machine class that gates "
                             "(%s)" % (machine, ", ".join(map(str, self.gate_machines))))
