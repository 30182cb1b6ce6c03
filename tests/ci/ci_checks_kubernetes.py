"""The Kubernetes checks of check_ci_files.py (its docstring lists them): KubernetesChecks, a
part of its Checker.
"""
import os
import re

from ci_checks_workflows import MANIFEST, normalized

KUBE_DIR = ".ci/kubernetes"
KUBE_SHARD = re.compile(r"SHARD=\"?\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/(\d+)")


class KubernetesChecks:
    """Checks of .ci/kubernetes/*.yaml. Mixed into check_ci_files.Checker, whose problem(),
    shellcheck(), notes, pvcs, claims and clone_env it uses."""

    def pvc(self, where, doc):
        name = (doc.get("metadata") or {}).get("name")
        if doc.get("apiVersion") != "v1" or not name:
            self.problem(where, "a PersistentVolumeClaim is apiVersion v1 with a metadata.name")
        if "ReadWriteMany" not in ((doc.get("spec") or {}).get("accessModes") or []):
            self.problem(where, "accessModes must include ReadWriteMany: pods on several nodes "
                         "write the reports at once")
        self.pvcs[name] = where

    def kube(self, rel, where, doc):
        if not isinstance(doc, dict) or not doc.get("kind") or not doc.get("apiVersion") \
                or not (doc.get("metadata") or {}).get("name"):
            self.problem(where, "every document needs apiVersion, kind and metadata.name")
            return
        where += " %s/%s" % (doc["kind"], doc["metadata"]["name"])
        if doc["kind"] == "PersistentVolumeClaim":
            self.notes.append(where)
            return
        if doc["kind"] != "Job":
            self.notes.append("%s: not checked (only Jobs and PVCs are)" % where)
            return
        if doc["apiVersion"] != "batch/v1":
            self.problem(where, "a Job is apiVersion batch/v1, not %s" % doc["apiVersion"])
        spec = doc.get("spec") or {}
        pod = (spec.get("template") or {}).get("spec") or {}
        if pod.get("restartPolicy") != "Never":
            self.problem(where + ": spec.template.spec.restartPolicy", "must be Never: a failed "
                         "pod is the Job's to retry (or not), never restarted in place")
        backoff = spec.get("backoffLimit")
        if not isinstance(backoff, int) or backoff > 3:
            self.problem(where + ": spec.backoffLimit", "must be set and small (<= 3)")
        volumes = {v.get("name"): v for v in pod.get("volumes") or []}
        for v in volumes.values():
            claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
            if claim is not None and claim not in self.pvcs:
                self.problem(where + ": volumes." + str(v.get("name")),
                             "claimName `%s` is no PersistentVolumeClaim of %s" % (claim, KUBE_DIR))
        scripts = []
        for c in pod.get("containers") or []:
            cwhere = "%s: containers.%s" % (where, c.get("name"))
            if not c.get("image"):
                self.problem(cwhere, "no image")
            argv = [str(a) for a in (c.get("command") or []) + (c.get("args") or [])]
            shell = os.path.basename(argv[0]) if argv else ""
            flag = next((i for i, a in enumerate(argv) if re.fullmatch(r"-\w*c\w*", a)), None)
            if shell not in ("bash", "sh") or flag is None or flag + 1 >= len(argv):
                self.problem(cwhere, "expected command bash -c or sh -c with a script")
                continue
            script = argv[flag + 1]
            scripts.append(script)
            self.shellcheck(cwhere + ": script", script, shell)
            for m in c.get("volumeMounts") or []:
                mwhere = "%s: volumeMounts.%s" % (cwhere, m.get("name"))
                if m.get("name") not in volumes:
                    self.problem(mwhere, "mounts no volume of the pod")
                    continue
                claim = (volumes[m["name"]].get("persistentVolumeClaim") or {}).get("claimName")
                if claim:
                    self.claims.append((mwhere, claim, m.get("mountPath")))
                if str(m.get("mountPath")) not in script:
                    self.problem(mwhere, "the script never uses mountPath %s" % m.get("mountPath"))
            env = {e.get("name"): e.get("value") for e in c.get("env") or []}
            if "git clone" in script:
                for key in ("REPO_URL", "REVISION"):
                    if key not in env:
                        self.problem(cwhere, "clones but has no env %s" % key)
                    else:
                        self.clone_env.setdefault(key, {}).setdefault(str(env[key]), cwhere)
        text = "\n".join(normalized(s) for s in scripts)
        totals = {int(t) for t in KUBE_SHARD.findall(text)}
        totals |= {int(t) for i, t in MANIFEST.findall(text) if t.isdigit()}
        if spec.get("completionMode") == "Indexed":
            n = spec.get("completions")
            if not totals:
                self.problem(where, "an Indexed Job without SHARD=$((JOB_COMPLETION_INDEX + 1))/N")
            if spec.get("parallelism") != n or totals != {n}:
                self.problem(where, "completions (%s), parallelism (%s) and the N of SHARD=.../N "
                             "and shard-I-of-N.json (%s) must agree"
                             % (n, spec.get("parallelism"), sorted(totals)))
            where += " (Indexed, %s shards)" % n
        elif totals or "SHARD=" in text:
            self.problem(where, "uses SHARD= but is not an Indexed Job (no JOB_COMPLETION_INDEX)")
        if "memgate merge" in text and backoff != 0:
            self.problem(where + ": spec.backoffLimit", "must be 0: the pod exits with merge's "
                         "verdict, and a regression must not be retried")
        self.notes.append("%s: %d container script(s) shellchecked" % (where, len(scripts)))

    def kube_across_files(self):
        """A claim is mounted at one path everywhere; every clone has the same REPO_URL/REVISION."""
        paths = {}
        for where, claim, path in self.claims:
            paths.setdefault(claim, {}).setdefault(path, where)
        for claim, by_path in paths.items():
            if len(by_path) > 1:
                self.problem(", ".join(by_path.values()), "claim %s is mounted at different "
                             "mountPaths: %s" % (claim, ", ".join(map(str, by_path))))
        for key, values in self.clone_env.items():
            if len(values) > 1:
                self.problem(", ".join(values.values()), "%s differs between the Jobs (%s): the "
                             "merge must build what the shards ran" % (key, ", ".join(values)))
