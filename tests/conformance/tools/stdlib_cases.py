"""Turns the original's stdlib tests (programs of one call, `result =
f(args)`) into conformance cases: one module node per call, in the DagSpec
the original's compiler emits for such a program. Tests that use operators,
lambdas or several calls are skipped (the README's conformance section
says which).

usage: python3 stdlib_cases.py MIRROR_GIT_DIR OUT_DIR
"""
import json
import re
import subprocess
import sys

from pipeline import Dag, S, I, F, B, L, SEQ

MODULES = {
    # name: (params, output port, output type)
    **{n: (["a", "b"], "out", I) for n in ["add", "subtract", "multiply", "divide", "max", "min", "modulo"]},
    **{n: (["a", "b"], "out", B) for n in ["eq-int", "gt", "lt", "gte", "lte", "and", "or", "eq-string"]},
    "concat": (["a", "b"], "out", S),
    "abs": (["value"], "out", I), "negate": (["value"], "out", I), "round": (["value"], "out", I),
    "to-string": (["value"], "out", S), "to-int": (["value"], "out", I), "to-float": (["value"], "out", F),
    "trim": (["value"], "out", S), "string-length": (["value"], "out", I), "not": (["value"], "out", B),
    "identity": (["value"], "value", S), "log": (["message"], "out", S),
    "join": (["list", "separator"], "out", S), "split": (["value", "substring"], "out", L(S)),
    "contains": (["value", "substring"], "out", B),
    "replace": (["value", "target", "replacement"], "out", S),
    **{n: (["list"], "out", I) for n in ["list-length", "list-first", "list-last", "list-sum"]},
    "list-is-empty": (["list"], "out", B), "list-reverse": (["list"], "out", L(I)),
    "list-concat": (["a", "b"], "out", L(I)), "list-contains": (["list", "value"], "out", B),
}

TYPES = {"Int": I, "Float": F, "String": S, "Boolean": B}


def lang_type(t):
    t = t.strip()
    m = re.fullmatch(r"List<(.+)>", t)
    if m:
        return L(lang_type(m.group(1)))
    m = re.fullmatch(r"Seq<(.+)>", t)
    if m:
        return SEQ(lang_type(m.group(1)))
    return TYPES[t]


class Scala:
    """A tiny reader of the CValue literals these tests write."""

    def __init__(self, text):
        self.t = text
        self.i = 0

    def ws(self):
        while self.i < len(self.t) and self.t[self.i] in " \n\t,":
            self.i += 1

    def eat(self, s):
        self.ws()
        if not self.t.startswith(s, self.i):
            raise ValueError(f"expected {s!r} at {self.t[self.i:self.i+40]!r}")
        self.i += len(s)

    def value(self):
        self.ws()
        t = self.t
        for scalar in ["CInt", "CFloat"]:
            if t.startswith(f"CValue.{scalar}(", self.i):
                self.i += len(f"CValue.{scalar}(")
                num = self.number()
                self.eat(")")
                return float(num) if scalar == "CFloat" else num
        if t.startswith("CValue.CString(", self.i):
            self.i += len("CValue.CString(")
            s = self.string()
            self.eat(")")
            return s
        if t.startswith("CValue.CBoolean(", self.i):
            self.i += len("CValue.CBoolean(")
            v = self.word()
            self.eat(")")
            return v == "true"
        for c in ["CValue.CList(", "CValue.CSeq("]:
            if t.startswith(c, self.i):
                self.i += len(c)
                self.ws()
                items = []
                if t.startswith("Vector.empty", self.i) or t.startswith("List.empty", self.i):
                    self.i += len("Vector.empty")
                    if t.startswith("[", self.i):
                        self.i = t.index("]", self.i) + 1
                else:
                    self.ws()
                    m = re.match(r"(Vector|List)\(", t[self.i:])
                    self.i += m.end()
                    self.ws()
                    if t.startswith("CValue.", self.i):
                        while True:
                            self.ws()
                            if t[self.i] == ")":
                                self.i += 1
                                break
                            items.append(self.value())
                    else:
                        # List(1L, 2L).map(CValue.CInt.apply)
                        while True:
                            self.ws()
                            if t[self.i] == ")":
                                self.i += 1
                                break
                            items.append(self.string() if t[self.i] == '"' else self.number())
                        m = re.match(r"\.map\(CValue\.C(\w+)(?:\.apply)?\)", t[self.i:])
                        self.i += m.end()
                        if m.group(1) == "Float":
                            items = [float(x) for x in items]
                self.ws()
                self.eat("CType.")
                self.word()
                self.eat(")")
                return items
        raise ValueError(f"cannot read {t[self.i:self.i+50]!r}")

    def word(self):
        self.ws()
        m = re.match(r"[A-Za-z_.]+", self.t[self.i:])
        self.i += m.end()
        return m.group(0)

    def number(self):
        self.ws()
        t = self.t
        for name, v in [("Long.MaxValue", 2**63 - 1), ("Long.MinValue", -2**63)]:
            if t.startswith(name, self.i):
                self.i += len(name)
                return v
        m = re.match(r"-?[0-9]+(\.[0-9]+)?([eE]-?[0-9]+)?[LdD]?", t[self.i:])
        if not m:
            raise ValueError(f"no number at {t[self.i:self.i+30]!r}")
        self.i += m.end()
        s = m.group(0).rstrip("LdD")
        return float(s) if ("." in s or "e" in s.lower()) else int(s)

    def string(self):
        self.ws()
        assert self.t[self.i] == '"'
        j = self.i + 1
        out = ""
        while self.t[j] != '"':
            if self.t[j] == "\\":
                nxt = self.t[j + 1]
                out += {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(nxt, nxt)
                j += 2
            else:
                out += self.t[j]
                j += 1
        self.i = j + 1
        return out


def inputs_of(body):
    m = re.search(r'Map\(\s*"', body)
    if not m:
        return {}
    p = Scala(body)
    p.i = m.end() - 1
    out = {}
    while True:
        p.ws()
        if body[p.i] == ")":
            break
        key = p.string()
        p.eat("->")
        out[key] = p.value()
    return out


def cases(source_text, source_path, dag_prefix):
    blocks = re.split(r'\n  (?=(?:"[^"]+" should|it should) "[^"]+" in \{)', source_text)
    subject = None
    out = []
    skipped = []
    for b in blocks:
        head = re.match(r'(?:"([^"]+)" should|it should) "([^"]+)" in \{', b)
        if not head:
            continue
        if head.group(1):
            subject = head.group(1)
        test = f"{subject} should {head.group(2)}"
        src = re.search(r'"""([\s\S]*?)"""', b)
        if not src:
            skipped.append(test)
            continue
        lines = [l.strip() for l in src.group(1).strip().splitlines() if l.strip()]
        ins = {}
        call = None
        ok = True
        for l in lines:
            m = re.fullmatch(r"in (\w+): (.+)", l)
            if m:
                ins[m.group(1)] = lang_type(m.group(2))
                continue
            m = re.fullmatch(r"result = ([\w-]+)\(([\w, ]*)\)", l)
            if m and call is None and m.group(1) in MODULES:
                call = (m.group(1), [a.strip() for a in m.group(2).split(",") if a.strip()])
                continue
            if l == "out result":
                continue
            ok = False
        if not ok or call is None or any(a not in ins for a in call[1]):
            skipped.append(test)
            continue
        fn, args = call
        params, port, out_ty = MODULES[fn]
        try:
            inputs = inputs_of(b)
        except Exception as e:
            skipped.append(f"{test} ({e})")
            continue
        d = Dag(f"{dag_prefix}/{test}")
        uuids = {name: d.input(name, ty) for name, ty in ins.items()}
        (res,) = d.module(f"stdlib.{fn}", list(zip(params, [uuids[a] for a in args])),
                          [(port, out_ty, "result")], node_name=f"{dag_prefix}.{fn}")
        d.output("result", res)
        case = {"test": test, "pipeline": d.json(), "inputs": inputs}
        if re.search(r"thrownBy|Status\.Failed|isLeft|shouldBe a \[", b):
            case["failed"] = ""
        else:
            m = re.search(r"shouldBe\s+(CValue\.[\s\S]*)", b)
            if not m:
                skipped.append(test)
                continue
            case["outputs"] = {"result": Scala(m.group(1)).value()}
        out.append(case)
    return {"source": source_path, "cases": out}, skipped


def main():
    mirror, out_dir = sys.argv[1], sys.argv[2]
    for path, name, prefix in [
        ("modules/lang-stdlib/src/test/scala/io/constellation/stdlib/StdLibEdgeCasesTest.scala",
         "stdlib_edge_cases.json", "test-dag"),
        ("modules/lang-stdlib/src/test/scala/io/constellation/stdlib/StdLibExecutionIntegrationTest.scala",
         "stdlib_execution_integration.json", "stdlib-test"),
    ]:
        text = subprocess.run(["git", "-C", mirror, "show", f"HEAD:{path}"],
                              capture_output=True, text=True, check=True).stdout
        doc, skipped = cases(text, path, prefix)
        doc["skipped"] = skipped
        with open(f"{out_dir}/{name}", "w") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"{name}: {len(doc['cases'])} cases, {len(skipped)} skipped")


if __name__ == "__main__":
    main()
