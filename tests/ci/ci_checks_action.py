"""The checks of action.yml, the composite GitHub Action a team calls with `uses:` (a part of
check_ci_files.py's Checker, whose problem(), shellcheck() and notes it uses): it is composite;
every step has exactly one of uses/run, a run step names its shell (a composite action has no
default), an action it uses is pinned (@vN); every ${{ inputs.X }} is a declared input, every
steps.X an earlier step's id, every output's value an existing step's output.
"""
import re

from ci_checks_workflows import EXPR, PINNED

ACTION_FILE = "action.yml"


class ActionChecks:
    def action(self, rel, action):
        runs = action.get("runs") or {}
        if runs.get("using") != "composite" or not runs.get("steps"):
            self.problem(rel, "runs.using must be composite, with steps")
            return
        inputs = set((action.get("inputs") or {}).keys())
        ids, shellchecked = [], 0
        for i, step in enumerate(runs["steps"]):
            where = "%s: runs.steps[%d] (%s)" % (rel, i, step.get("name", step.get("uses", "")))
            if ("uses" in step) == ("run" in step):
                self.problem(where, "a step has exactly one of `uses` and `run`")
                continue
            texts = " ".join(e for v in (step.get("env"), step.get("with"), step.get("run", ""))
                             for e in EXPR.findall(str(v)))
            texts += " " + str(step.get("if", ""))  # an `if` is an expression without ${{ }}
            for name in re.findall(r"\binputs\.([\w-]+)", texts):
                if name not in inputs:
                    self.problem(where, "uses inputs.%s, which action.yml does not declare" % name)
            for ref in re.findall(r"\bsteps\.([\w-]+)", texts):
                if ref not in ids:
                    self.problem(where, "refers to steps.%s, no earlier step's id" % ref)
            if "uses" in step:
                if not PINNED.match(str(step["uses"])):
                    self.problem(where, "`%s` is not pinned to a major version (@vN)" % step["uses"])
            else:
                shell = step.get("shell")
                if not shell:
                    self.problem(where, "a run step of a composite action needs `shell`")
                elif str(shell).split()[0] in ("bash", "sh"):
                    shellchecked += self.shellcheck(where, str(step["run"]), str(shell).split()[0])
            if "id" in step:
                ids.append(step["id"])
        for name, output in (action.get("outputs") or {}).items():
            for ref in re.findall(r"\bsteps\.([\w-]+)", str((output or {}).get("value", ""))):
                if ref not in ids:
                    self.problem("%s: outputs.%s" % (rel, name), "refers to steps.%s, no step's id"
                                 % ref)
        self.notes.append("%s: %d steps, %d run blocks shellchecked, inputs: %s"
                          % (rel, len(runs["steps"]), shellchecked, ", ".join(sorted(inputs))))
