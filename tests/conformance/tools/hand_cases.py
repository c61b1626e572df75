"""Conformance cases written by hand from the original's tests whose
subject is a transform, a value conversion, a synthetic module or an image
(their inputs are Scala values, not programs, so each is rewritten as the
smallest pipeline that exercises it).

usage: python3 hand_cases.py OUT_DIR
"""
import json
import sys

from pipeline import Dag, S, I, F, B, L, SEQ, O, M, P, U, identity

RT = "modules/runtime/src/test/scala/io/constellation/RuntimeInlineTransformTest.scala"
IT = "modules/core/src/test/scala/io/constellation/InlineTransformTest.scala"
JC = "modules/runtime/src/test/scala/io/constellation/JsonCValueConverterTest.scala"
JE = "modules/runtime/src/test/scala/io/constellation/JsonCValueConverterEdgeCaseTest.scala"
SM = "modules/runtime/src/test/scala/io/constellation/SyntheticModuleFactoryTest.scala"
PI = "modules/runtime/src/test/scala/io/constellation/PipelineImageTest.scala"

NOTE_OUT = "the test reads the node's state; here the node is bound as an output"


def one_transform(test, kind, out_ty, ins, params=None, inputs=None, note=NOTE_OUT, **expect):
    """A pipeline of user inputs feeding one transform node `out`.
    ins: [(transform input name, user input name, type)]."""
    d = Dag(test)
    src = {}
    for tin, name, ty in ins:
        src[tin] = d.input(name, ty)
    t = {"kind": kind, **(params or {})}
    out = d.transform("out", out_ty, t, src)
    d.output("out", out)
    case = {"test": test, "pipeline": d.json(), "inputs": inputs or {}}
    if note:
        case["note"] = note
    case.update(expect)
    return case


def runtime_inline():
    c = []
    c.append(one_transform("Runtime.run with NotTransform should negate a true boolean input", "Not", B,
                           [("operand", "flag", B)], inputs={"flag": True}, outputs={"out": False}))
    c.append(one_transform("Runtime.run with NotTransform should negate a false boolean input", "Not", B,
                           [("operand", "flag", B)], inputs={"flag": False}, outputs={"out": True}))
    # Not after a module's output.
    d = Dag("chain NotTransform with a module")
    x = d.input("text", S)
    (r,) = d.module("Uppercase", [("text", x)], [("result", S, "result")], node_name="Uppercase")
    lit = d.transform("flag", B, {"kind": "Literal", "value": {"tag": "CBoolean", "value": True}}, {})
    n = d.transform("negated", B, {"kind": "Not"}, {"operand": lit})
    d.output("result", r)
    d.output("negated", n)
    c.append({"test": "Runtime.run with NotTransform should chain NotTransform with a module",
              "pipeline": d.json(), "inputs": {"text": "hello"},
              "outputs": {"result": "HELLO", "negated": False}, "note": NOTE_OUT})
    cond = [("cond", "cond", B), ("thenBr", "a", S), ("elseBr", "b", S)]
    c.append(one_transform("Runtime.run with ConditionalTransform should select then-branch when condition is true",
                           "Conditional", S, cond, inputs={"cond": True, "a": "yes", "b": "no"}, outputs={"out": "yes"}))
    c.append(one_transform("Runtime.run with ConditionalTransform should select else-branch when condition is false",
                           "Conditional", S, cond, inputs={"cond": False, "a": "yes", "b": "no"}, outputs={"out": "no"}))
    c.append(one_transform("Runtime.run with ConditionalTransform should work with integer branches", "Conditional", I,
                           [("cond", "cond", B), ("thenBr", "a", I), ("elseBr", "b", I)],
                           inputs={"cond": True, "a": 100, "b": 200}, outputs={"out": 100}))
    lr = [("left", "l", B), ("right", "r", B)]
    for kind, name, l, r, out in [
        ("And", "return true when both inputs are true", True, True, True),
        ("And", "return false when left is false (short-circuit)", False, True, False),
        ("And", "return false when right is false", True, False, False),
        ("Or", "return true when left is true (short-circuit)", True, False, True),
        ("Or", "return false when both are false", False, False, False),
        ("Or", "return true when right is true", False, True, True),
    ]:
        c.append(one_transform(f"Runtime.run with {kind}Transform should {name}", kind, B, lr,
                               inputs={"l": l, "r": r}, outputs={"out": out}))
    g = [("expr", "v", I), ("cond", "c", B)]
    c.append(one_transform("Runtime.run with GuardTransform should return Some when condition is true", "Guard", O(I), g,
                           inputs={"v": 42, "c": True}, outputs={"out": 42}))
    c.append(one_transform("Runtime.run with GuardTransform should return None when condition is false", "Guard", O(I), g,
                           inputs={"v": 42, "c": False}, outputs={"out": None}))
    co = [("left", "opt", O(I)), ("right", "fallback", I)]
    c.append(one_transform("Runtime.run with CoalesceTransform should return inner value when left is Some", "Coalesce", I, co,
                           inputs={"opt": 7, "fallback": 0}, outputs={"out": 7}))
    c.append(one_transform("Runtime.run with CoalesceTransform should return fallback when left is None", "Coalesce", I, co,
                           inputs={"opt": None, "fallback": 99}, outputs={"out": 99}))
    c.append(one_transform("Runtime.run with RecordBuildTransform should build a record from input fields", "RecordBuild",
                           P(name=S, age=I), [("name", "name", S), ("age", "age", I)], {"fields": ["name", "age"]},
                           inputs={"name": "Alice", "age": 30}, outputs={"out": {"age": 30, "name": "Alice"}}))
    c.append(one_transform("Runtime.run with RecordBuildTransform should build a single-field record", "RecordBuild",
                           P(x=I), [("x", "x", I)], {"fields": ["x"]}, inputs={"x": 1}, outputs={"out": {"x": 1}}))
    for name, ty, value, plain in [
        ("produce a string literal", S, {"tag": "CString", "value": "hello world"}, "hello world"),
        ("produce a boolean literal", B, {"tag": "CBoolean", "value": True}, True),
        ("produce a float literal", F, {"tag": "CFloat", "value": 2.718}, 2.718),
        ("produce a list literal", L(I), {"tag": "CList", "value": [{"tag": "CInt", "value": i} for i in (1, 2, 3)],
                                          "subtype": I}, [1, 2, 3]),
    ]:
        d = Dag(name)
        d.input("dummy", I)
        lit = d.transform("lit", ty, {"kind": "Literal", "value": value}, {})
        d.output("lit", lit)
        c.append({"test": f"Runtime.run with LiteralTransform should {name}", "pipeline": d.json(),
                  "inputs": {"dummy": 0}, "outputs": {"lit": plain},
                  "warnings": ["dummy"],
                  "note": NOTE_OUT + "; `dummy` is read by nothing, which is a warning and still runs"})
    c.append(one_transform("Runtime.run with MergeTransform should merge two records", "Merge", P(name=S, age=I),
                           [("left", "left", P(name=S)), ("right", "right", P(age=I))],
                           inputs={"left": {"name": "Alice"}, "right": {"age": 30}},
                           outputs={"out": {"age": 30, "name": "Alice"}}))
    c.append(one_transform("Runtime.run with ProjectTransform should project fields from a record", "Project",
                           P(name=S), [("source", "person", P(name=S, age=I, email=S))], {"fields": ["name"]},
                           inputs={"person": {"name": "Bob", "age": 25, "email": "b@x"}}, outputs={"out": {"name": "Bob"}}))
    c.append(one_transform("Runtime.run with FieldAccessTransform should extract a field from a record", "FieldAccess",
                           I, [("source", "person", P(name=S, age=I))], {"field": "age"},
                           inputs={"person": {"name": "Bob", "age": 25}}, outputs={"out": 25}))
    c.append(one_transform("Runtime.run with StringInterpolationTransform should interpolate expressions into string",
                           "StringInterpolation", S, [("expr0", "name", S), ("expr1", "age", I)],
                           {"parts": ["Hello, ", "! You are ", " years old."]},
                           inputs={"name": "Alice", "age": 30}, outputs={"out": "Hello, Alice! You are 30 years old."}))
    c.append(one_transform("Runtime.run with StringInterpolationTransform should handle single-expression interpolation",
                           "StringInterpolation", S, [("expr0", "x", S)], {"parts": ["[", "]"]},
                           inputs={"x": "v"}, outputs={"out": "[v]"}))
    c.append(one_transform("Runtime.run with ListLiteralTransform should assemble elements into a list", "ListLiteral",
                           L(I), [("elem0", "a", I), ("elem1", "b", I), ("elem2", "c", I)], {"len": 3},
                           inputs={"a": 1, "b": 2, "c": 3}, outputs={"out": [1, 2, 3]}))
    # Not -> Conditional.
    d = Dag("chain Not -> Conditional")
    f = d.input("flag", B)
    a = d.input("a", S)
    b = d.input("b", S)
    n = d.transform("notFlag", B, {"kind": "Not"}, {"operand": f})
    o = d.transform("out", S, {"kind": "Conditional"}, {"cond": n, "thenBr": a, "elseBr": b})
    d.output("out", o)
    c.append({"test": "Runtime.run with chained transforms should chain NotTransform -> ConditionalTransform",
              "pipeline": d.json(), "inputs": {"flag": False, "a": "then", "b": "else"},
              "outputs": {"out": "then"}, "note": NOTE_OUT})
    d = Dag("chain And -> Not")
    l = d.input("l", B)
    r = d.input("r", B)
    a = d.transform("both", B, {"kind": "And"}, {"left": l, "right": r})
    o = d.transform("out", B, {"kind": "Not"}, {"operand": a})
    d.output("out", o)
    c.append({"test": "Runtime.run with chained transforms should chain And -> Not (composite boolean logic)",
              "pipeline": d.json(), "inputs": {"l": True, "r": True}, "outputs": {"out": False}, "note": NOTE_OUT})
    d = Dag("module output as transform input")
    x = d.input("text", S)
    (r,) = d.module("Uppercase", [("text", x)], [("result", S, "result")], node_name="Uppercase")
    o = d.transform("out", S, {"kind": "StringInterpolation", "parts": ["<", ">"]}, {"expr0": r})
    d.output("out", o)
    c.append({"test": "Runtime.run with inline transforms and modules should use module output as transform input",
              "pipeline": d.json(), "inputs": {"text": "abc"}, "outputs": {"out": "<ABC>"}, "note": NOTE_OUT})
    return {"source": RT, "cases": c,
            "skipped": ["MatchTransform, FilterTransform, MapTransform, AllTransform, AnyTransform: closures, "
                        "which the original cannot write to JSON either",
                        "runWithBackends / runPooled variants: the same transforms through other entry points"]}


def inline():
    c = []
    rec = lambda **f: P(**f)
    c.append(one_transform("MergeTransform should merge records with overlapping fields (right wins)", "Merge",
                           rec(a=I, b=I), [("left", "l", rec(a=I, b=I)), ("right", "r", rec(b=I))],
                           inputs={"l": {"a": 1, "b": 2}, "r": {"b": 3}}, outputs={"out": {"a": 1, "b": 3}}, note=None))
    lt = L(rec(a=I))
    c.append(one_transform("MergeTransform should merge Candidates element-wise (List + List)", "Merge", L(rec(a=I, b=I)),
                           [("left", "l", lt), ("right", "r", L(rec(b=I)))],
                           inputs={"l": [{"a": 1}, {"a": 2}], "r": [{"b": 10}, {"b": 20}]},
                           outputs={"out": [{"a": 1, "b": 10}, {"a": 2, "b": 20}]}, note=None))
    c.append(one_transform("MergeTransform should throw when merging Candidates with different lengths", "Merge",
                           L(rec(a=I, b=I)), [("left", "l", lt), ("right", "r", L(rec(b=I)))],
                           inputs={"l": [{"a": 1}], "r": [{"b": 10}, {"b": 20}]}, failed="different lengths", note=None))
    c.append(one_transform("MergeTransform should broadcast Record to Candidates (List + Map)", "Merge", L(rec(a=I, z=I)),
                           [("left", "l", lt), ("right", "r", rec(z=I))],
                           inputs={"l": [{"a": 1}, {"a": 2}], "r": {"z": 9}},
                           outputs={"out": [{"a": 1, "z": 9}, {"a": 2, "z": 9}]}, note=None))
    c.append(one_transform("MergeTransform should broadcast Record to Candidates (Map + List)", "Merge", L(rec(a=I, z=I)),
                           [("left", "l", rec(z=I)), ("right", "r", lt)],
                           inputs={"l": {"z": 9}, "r": [{"a": 1}]}, outputs={"out": [{"a": 1, "z": 9}]}, note=None))
    c.append(one_transform("MergeTransform should return right for incompatible types (fallback)", "Merge", I,
                           [("left", "l", S), ("right", "r", I)], inputs={"l": "x", "r": 5}, outputs={"out": 5}, note=None))
    st = SEQ(rec(a=I))
    c.append(one_transform("MergeTransform with CSeq should merge Seq + Seq element-wise", "Merge", SEQ(rec(a=I, b=I)),
                           [("left", "l", st), ("right", "r", SEQ(rec(b=I)))],
                           inputs={"l": [{"a": 1}], "r": [{"b": 2}]}, outputs={"out": [{"a": 1, "b": 2}]}, note=None))
    c.append(one_transform("MergeTransform with CSeq should throw on Seq + Seq length mismatch", "Merge", SEQ(rec(a=I, b=I)),
                           [("left", "l", st), ("right", "r", SEQ(rec(b=I)))],
                           inputs={"l": [{"a": 1}], "r": []}, failed="different lengths", note=None))
    c.append(one_transform("MergeTransform with CSeq should broadcast Seq + Record (left is CSeq)", "Merge",
                           SEQ(rec(a=I, z=I)), [("left", "l", st), ("right", "r", rec(z=I))],
                           inputs={"l": [{"a": 1}, {"a": 2}], "r": {"z": 0}},
                           outputs={"out": [{"a": 1, "z": 0}, {"a": 2, "z": 0}]}, note=None))
    c.append(one_transform("MergeTransform with CSeq should broadcast Record + Seq (right is CSeq)", "Merge",
                           SEQ(rec(a=I, z=I)), [("left", "l", rec(z=I)), ("right", "r", st)],
                           inputs={"l": {"z": 0}, "r": [{"a": 1}]}, outputs={"out": [{"a": 1, "z": 0}]}, note=None))
    person = rec(name=S, age=I, email=S)
    c.append(one_transform("ProjectTransform should project fields from a record", "Project", rec(name=S, age=I),
                           [("source", "p", person)], {"fields": ["name", "age"]},
                           inputs={"p": {"name": "A", "age": 1, "email": "e"}}, outputs={"out": {"age": 1, "name": "A"}},
                           note=None))
    c.append(one_transform("ProjectTransform should ignore non-existent fields", "Project", rec(name=S),
                           [("source", "p", person)], {"fields": ["name", "missing"]},
                           inputs={"p": {"name": "A", "age": 1, "email": "e"}}, outputs={"out": {"name": "A"}}, note=None))
    c.append(one_transform("ProjectTransform should project fields from Candidates (list of records)", "Project",
                           L(rec(name=S)), [("source", "p", L(person))], {"fields": ["name"]},
                           inputs={"p": [{"name": "A", "age": 1, "email": "e"}, {"name": "B", "age": 2, "email": "f"}]},
                           outputs={"out": [{"name": "A"}, {"name": "B"}]}, note=None))
    c.append(one_transform("ProjectTransform should return value unchanged for non-product types", "Project", I,
                           [("source", "p", I)], {"fields": ["x"]}, inputs={"p": 42}, outputs={"out": 42}, note=None))
    c.append(one_transform("ProjectTransform with CSeq should project fields from Seq elements", "Project",
                           SEQ(rec(name=S)), [("source", "p", SEQ(person))], {"fields": ["name"]},
                           inputs={"p": [{"name": "A", "age": 1, "email": "e"}]}, outputs={"out": [{"name": "A"}]},
                           note=None))
    c.append(one_transform("FieldAccessTransform should extract single field from record", "FieldAccess", S,
                           [("source", "p", person)], {"field": "name"},
                           inputs={"p": {"name": "A", "age": 1, "email": "e"}}, outputs={"out": "A"}, note=None))
    c.append(one_transform("FieldAccessTransform should extract field from Candidates (list of records)", "FieldAccess",
                           L(S), [("source", "p", L(person))], {"field": "name"},
                           inputs={"p": [{"name": "A", "age": 1, "email": "e"}, {"name": "B", "age": 2, "email": "f"}]},
                           outputs={"out": ["A", "B"]}, note=None))
    c.append(one_transform("FieldAccessTransform with CSeq should access field from Seq elements", "FieldAccess",
                           SEQ(I), [("source", "p", SEQ(person))], {"field": "age"},
                           inputs={"p": [{"name": "A", "age": 1, "email": "e"}, {"name": "B", "age": 2, "email": "f"}]},
                           outputs={"out": [1, 2]}, note=None))
    c.append(one_transform("FieldAccessTransform with union should access field from union inner record", "FieldAccess",
                           I, [("source", "u", U(point=rec(x=I, y=I), label=S))], {"field": "x"},
                           inputs={"u": {"tag": "point", "value": {"x": 3, "y": 4}}}, outputs={"out": 3}, note=None))
    cond = [("cond", "c", B), ("thenBr", "a", I), ("elseBr", "b", I)]
    c.append(one_transform("ConditionalTransform should return thenBr when condition is true", "Conditional", I, cond,
                           inputs={"c": True, "a": 1, "b": 2}, outputs={"out": 1}, note=None))
    c.append(one_transform("ConditionalTransform should return elseBr when condition is false", "Conditional", I, cond,
                           inputs={"c": False, "a": 1, "b": 2}, outputs={"out": 2}, note=None))
    g = [("expr", "v", S), ("cond", "c", B)]
    c.append(one_transform("GuardTransform should return Some(expr) when condition is true", "Guard", O(S), g,
                           inputs={"v": "x", "c": True}, outputs={"out": "x"}, note=None))
    c.append(one_transform("GuardTransform should return None when condition is false", "Guard", O(S), g,
                           inputs={"v": "x", "c": False}, outputs={"out": None}, note=None))
    co = [("left", "o", O(S)), ("right", "f", S)]
    c.append(one_transform("CoalesceTransform should unwrap Some value", "Coalesce", S, co,
                           inputs={"o": "v", "f": "d"}, outputs={"out": "v"}, note=None))
    c.append(one_transform("CoalesceTransform should return fallback for None", "Coalesce", S, co,
                           inputs={"o": None, "f": "d"}, outputs={"out": "d"}, note=None))
    for kind, cases in [("And", [("return true when both operands are true", True, True, True),
                                 ("return false when left is false (short-circuit)", False, True, False),
                                 ("return false when right is false", True, False, False),
                                 ("return false when both are false", False, False, False)]),
                        ("Or", [("return true when left is true (short-circuit)", True, False, True),
                                ("return true when right is true", False, True, True),
                                ("return false when both are false", False, False, False),
                                ("return true when both are true", True, True, True)])]:
        for name, l, r, out in cases:
            c.append(one_transform(f"{kind}Transform should {name}", kind, B, [("left", "l", B), ("right", "r", B)],
                                   inputs={"l": l, "r": r}, outputs={"out": out}, note=None))
    for name, v in [("negate true to false", True), ("negate false to true", False)]:
        c.append(one_transform(f"NotTransform should {name}", "Not", B, [("operand", "v", B)],
                               inputs={"v": v}, outputs={"out": not v}, note=None))
    si = "StringInterpolationTransform should "
    for name, ty, parts, vals, out in [
        ("interpolate single expression", [S], ["Hello, ", "!"], ["World"], "Hello, World!"),
        ("interpolate multiple expressions", [S, I], ["", " is ", " years old"], ["Alice", 30], "Alice is 30 years old"),
        ("handle empty parts", [S], ["", ""], ["only"], "only"),
        ("stringify numbers", [I, F], ["n=", ", f=", ""], [42, 3.0], "n=42, f=3.0"),
        ("stringify booleans", [B], ["flag: ", ""], [True], "flag: true"),
        ("stringify None as empty string", [O(I)], ["[", "]"], [None], "[]"),
        ("stringify Some by unwrapping", [O(I)], ["[", "]"], [5], "[5]"),
        ("stringify lists", [L(I)], ["items: ", ""], [[1, 2, 3]], "items: [1, 2, 3]"),
        ("stringify maps", [P(a=I)], ["m: ", ""], [{"a": 1}], "m: {a: 1}"),
    ]:
        ins = [(f"expr{i}", f"v{i}", t) for i, t in enumerate(ty)]
        c.append(one_transform(si + name, "StringInterpolation", S, ins, {"parts": parts},
                               inputs={f"v{i}": v for i, v in enumerate(vals)}, outputs={"out": out}, note=None))
    c.append(one_transform("RecordBuildTransform should build a record from named inputs", "RecordBuild", P(a=I, b=S),
                           [("a", "a", I), ("b", "b", S)], {"fields": ["a", "b"]},
                           inputs={"a": 1, "b": "x"}, outputs={"out": {"a": 1, "b": "x"}}, note=None))
    c.append(one_transform("ListLiteralTransform should build single-element list", "ListLiteral", L(I),
                           [("elem0", "a", I)], {"len": 1}, inputs={"a": 7}, outputs={"out": [7]}, note=None))
    c.append(one_transform("CollectTransform should pass through lists unchanged", "Collect", L(I),
                           [("source", "s", SEQ(I))], inputs={"s": [1, 2, 3]}, outputs={"out": [1, 2, 3]}, note=None))
    c.append(one_transform("CollectTransform should wrap non-list values in a single-element list", "Collect", L(I),
                           [("source", "s", I)], inputs={"s": 42}, outputs={"out": [42]}, note=None))
    c.append(one_transform("CollectTransform should pass through empty lists", "Collect", L(I),
                           [("source", "s", L(I))], inputs={"s": []}, outputs={"out": []}, note=None))
    c.append(one_transform("InterleaveTransform (InlineTransform.scala): round-robin, truncates to shorter", "Interleave",
                           L(I), [("left", "l", L(I)), ("right", "r", L(I))],
                           inputs={"l": [1, 2, 3], "r": [10, 20]}, outputs={"out": [1, 10, 2, 20]},
                           note="the original has no test of Interleave; the case follows its single-mode doc comment"))
    c.append(one_transform("ZipTransform (InlineTransform.scala): 1:1 pairing, truncates to shorter", "Zip",
                           L(P(_1=I, _2=S)), [("left", "l", L(I)), ("right", "r", L(S))],
                           inputs={"l": [1, 2, 3], "r": ["a", "b"]},
                           outputs={"out": [{"_1": 1, "_2": "a"}, {"_1": 2, "_2": "b"}]},
                           note="the original has no test of Zip; its pairs are Scala tuples, here records {_1, _2}"))
    return {"source": IT, "cases": c,
            "skipped": ["Filter/Map/All/Any/Match transforms: closures, which the original cannot write to JSON",
                        "FieldAccessTransform MatchBindingMissing cases: an internal sentinel of match lowering; "
                        "a missing field here is a node failure naming the field",
                        "LiteralTransform null value: the original's untyped null; our literals are typed values"]}


def converter():
    c = []
    def ident(src, test, ty, value, **expect):
        case = {"test": test, "source": src, "pipeline": identity(test, ty), "inputs": {"x": value}}
        case.update(expect)
        if "outputs" not in expect and "input_error" not in expect:
            case["outputs"] = {"x": value}
        c.append(case)
    j = "jsonToCValue should "
    ident(JC, j + "convert String JSON to CString", S, "hello")
    ident(JC, j + "convert empty String JSON to CString", S, "")
    ident(JC, j + "fail when expecting String but got number", S, 42, input_error="x: expected String, found integer")
    ident(JC, j + "fail when expecting String but got null", S, None, input_error="x: expected String, found null")
    ident(JC, j + "convert Int JSON to CInt", I, 42)
    ident(JC, j + "convert negative Int JSON to CInt", I, -42)
    ident(JC, j + "convert Long JSON to CInt", I, 9223372036854775807)
    ident(JC, j + "fail when expecting Int but got string", I, "42", input_error="x: expected Int, found string")
    ident(JC, j + "fail when expecting Int but got boolean", I, True, input_error="x: expected Int, found boolean")
    ident(JC, j + "convert Float JSON to CFloat", F, 3.14)
    ident(JC, j + "convert Int JSON to CFloat", F, 42, outputs={"x": 42.0})
    ident(JC, j + "convert negative Float JSON to CFloat", F, -3.14)
    ident(JC, j + "fail when expecting Float but got string", F, "3.14", input_error="x: expected Float, found string")
    ident(JC, j + "convert Boolean JSON to CBoolean (true)", B, True)
    ident(JC, j + "convert Boolean JSON to CBoolean (false)", B, False)
    ident(JC, j + "fail when expecting Boolean but got number", B, 1, input_error="x: expected Boolean, found integer")
    ident(JC, j + "convert empty Array JSON to CList", L(I), [])
    ident(JC, j + "convert Array of Ints to CList", L(I), [1, 2, 3])
    ident(JC, j + "convert Array of Strings to CList", L(S), ["a", "b"])
    ident(JC, j + "fail when Array contains wrong type", L(I), [1, "two", 3], input_error="x[1]: expected Int, found string")
    ident(JC, j + "fail when expecting Array but got object", L(I), {"a": 1}, input_error="x: expected List<Int>, found object")
    ident(JC, j + "convert Object to CMap with string keys", M(S, I), {"a": 1, "b": 2})
    ident(JC, j + "convert empty Object to CMap", M(S, I), {})
    ident(JC, j + "convert Array of pairs to CMap with non-string keys", M(I, S), [[1, "one"], [2, "two"]])
    ident(JC, j + "fail when Map pair is not [key, value]", M(I, S), [[1]], input_error="x[0]: expected a [key, value] pair")
    ident(JC, j + "fail when Map value is wrong type", M(S, I), {"a": "x"}, input_error="x.a: expected Int, found string")
    ident(JC, j + "convert Object to CProduct", P(name=S, age=I), {"age": 30, "name": "Alice"})
    ident(JC, j + "fail when Product field is missing", P(name=S, age=I), {"name": "Alice"},
          input_error="x.age: missing field of type Int")
    ident(JC, j + "fail when Product field is wrong type", P(age=I), {"age": "thirty"},
          input_error="x.age: expected Int, found string")
    ident(JC, j + "fail when expecting Object for Product but got array", P(a=I), [1],
          input_error="x: expected {a: Int}, found array")
    un = U(i=I, s=S)
    ident(JC, j + "convert tagged Union", un, {"tag": "s", "value": "hello"})
    ident(JC, j + "fail when Union tag is invalid", un, {"tag": "zz", "value": 1}, input_error="`zz` is not a variant")
    ru = U(ok=P(value=I, status=S), err=P(error=S, code=I))
    ident(JC, j + "fail when Union is missing tag and has no matching record variant", ru, {"other": 1},
          input_error="x: expected a union")
    ident(JC, j + "auto-detect union variant from record fields", ru, {"value": 42, "status": "ok"},
          outputs={"x": {"tag": "ok", "value": {"status": "ok", "value": 42}}})
    ident(JC, j + "fail when Union tag is not a string", un, {"tag": 1, "value": 1}, input_error="x.tag: a union's tag must be a string")
    ident(JC, j + "convert null to CNone", O(I), None)
    ident(JC, j + "convert value to CSome", O(I), 5)
    ident(JC, j + "fail when Optional inner type is wrong", O(I), "x", input_error="x: expected Int, found string")
    deep = P(user=P(name=S, tags=L(S)), scores=L(I))
    ident(JC, j + "convert deeply nested structure", deep, {"scores": [1, 2], "user": {"name": "A", "tags": ["t"]}})
    ident(JC, j + "report error path for deeply nested error", P(user=P(address=P(zip=I))),
          {"user": {"address": {"zip": "x"}}}, input_error="x.user.address.zip: expected Int, found string")
    ident(JC, "cValueToJson should convert CUnion to JSON with tag and value", un, {"tag": "i", "value": 3})
    ident(JC, "cValueToJson edge cases should fall back to string representation for CFloat with NaN",
          F, "NaN", input_error="x: expected Float, found string",
          note="NaN and the infinities are written as strings, as the original does; like the original, they are "
               "not read back from strings")
    ident(JC, "jsonToCValue additional errors should prefer most specific variant when multiple union variants match",
          U(small=P(a=I), big=P(a=I, b=I)), {"a": 1, "b": 2},
          outputs={"x": {"tag": "big", "value": {"a": 1, "b": 2}}})
    e = "tryAutoDetectUnionVariant should "
    pt = U(point=P(x=I, y=I), label=P(text=S))
    ident(JE, e + "auto-detect variant when JSON has extra fields beyond required", pt, {"x": 1, "y": 2, "z": 3},
          outputs={"x": {"tag": "point", "value": {"x": 1, "y": 2}}})
    ident(JE, e + "fail auto-detect when no variant fields match", pt, {"q": 1}, input_error="x: expected a union")
    ident(JE, e + "fail auto-detect when variant is not a product type", U(n=I, s=S), {"q": 1},
          input_error="x: expected a union")
    ident(JE, e + "auto-detect when fields match but value types are wrong returns no match", pt, {"x": "a", "y": "b"},
          input_error="x: expected a union")
    ident(JE, e + "prefer most specific when all variants match and auto-detect handles 3+ variants",
          U(a=P(x=I), b=P(x=I, y=I), c=P(x=I, y=I, z=I)), {"x": 1, "y": 2, "z": 3},
          outputs={"x": {"tag": "c", "value": {"x": 1, "y": 2, "z": 3}}})
    e = "jsonToCValue nested products should "
    ident(JE, e + "convert product containing a list", P(xs=L(I)), {"xs": [1]})
    ident(JE, e + "convert product containing a map", P(m=M(S, I)), {"m": {"k": 1}})
    ident(JE, e + "convert product containing an optional field (present)", P(o=O(I)), {"o": 1})
    ident(JE, e + "convert product containing an optional field (null)", P(o=O(I)), {"o": None})
    ident(JE, "jsonToCValue union should convert union with nested product value", pt,
          {"tag": "point", "value": {"x": 1, "y": 2}})
    ident(JE, "jsonToCValue union should fail when union value type mismatches tagged variant", pt,
          {"tag": "point", "value": {"x": "a", "y": 2}}, input_error="x.value.x: expected Int, found string")
    ident(JE, "jsonToCValue union should fail when expecting Union but got array", pt, [1], input_error="x: expected")
    ident(JE, "jsonToCValue union should fail when expecting Union but got primitive", pt, 1, input_error="x: expected")
    ident(JE, "jsonToCValue maps should convert empty array to CMap with non-string keys", M(I, S), [])
    ident(JE, "jsonToCValue maps should fail when pair has wrong key type in CMap", M(I, S), [["a", "b"]],
          input_error="x[0]: expected Int, found string")
    ident(JE, "jsonToCValue maps should fail when object given for CMap with non-string keys", M(I, S), {"1": "a"},
          input_error="x: expected Map<Int, String>, found object")
    ident(JE, "jsonToCValue optional should convert optional list (present)", O(L(I)), [1, 2])
    ident(JE, "jsonToCValue optional should convert optional product (null)", O(P(a=I)), None)
    for t, name in [(I, "Int"), (F, "Float"), (B, "Boolean")]:
        ident(JE, f"jsonToCValue error cases should fail when expecting {name} but got null", t, None,
              input_error=f"x: expected {name}, found null")
    ident(JE, "jsonToCValue error cases should fail when expecting Array but got null", L(I), None,
          input_error="x: expected List<Int>, found null")
    ident(JE, "cValueToJson edge cases should handle CInt Long.MaxValue correctly", I, 9223372036854775807)
    ident(JE, "cValueToJson edge cases should handle CFloat zero correctly", F, 0.0)
    ident(JE, "round-trip cValue should preserve CProduct with optional fields", P(a=O(I), b=S), {"a": None, "b": "x"})
    ident(JE, "round-trip cValue should preserve CUnion with product variant", pt, {"tag": "label", "value": {"text": "t"}})
    # Record inputs with extra fields: ignored (the original), refused in strict mode (ours).
    ident(JE, "records ignore JSON fields they do not have (jsonToCValue reads only the structure's fields)",
          P(a=I), {"a": 1, "extra": True}, outputs={"x": {"a": 1}})
    c.append({"test": "strict mode (ours): a record given a field it does not have is refused, naming it",
              "source": "asterism", "pipeline": identity("strict", P(a=I)), "inputs": {"x": {"a": 1, "extra": True}},
              "strict": True, "input_error": "x.extra: unexpected field"})
    ident(JE, "Int given as a whole float (circe's JsonNumber.toLong)", I, 5.0, outputs={"x": 5})
    return c


def synthetic():
    c = []

    def branch(test, n_cases, out_ty, inputs, outputs, name="test.branch-0a1b2c3d", **extra):
        d = Dag(test)
        args = []
        for i in range(n_cases):
            args.append((f"cond{i}", d.input(f"c{i}", B)))
            args.append((f"expr{i}", d.input(f"e{i}", out_ty)))
        args.append(("otherwise", d.input("other", out_ty)))
        (out,) = d.module(name, args, [("out", out_ty, "branch_0a1b2c3d_output")], node_name=name)
        d.output("out", out)
        case = {"test": test, "pipeline": d.json(), "inputs": inputs, "outputs": outputs}
        case.update(extra)
        return case
    c.append(branch("fromDagSpec should reconstruct a branch module that selects the first true condition", 2, S,
                    {"c0": False, "e0": "first", "c1": True, "e1": "second", "other": "none"}, {"out": "second"}))
    c.append(branch("fromDagSpec should reconstruct a branch module that falls back to otherwise", 2, S,
                    {"c0": False, "e0": "first", "c1": False, "e1": "second", "other": "none"}, {"out": "none"}))
    c.append(branch("fromDagSpec should reconstruct a single-case branch module", 1, I,
                    {"c0": True, "e0": 1, "other": 0}, {"out": 1}))
    c.append(branch("fromDagSpec should handle a branch with zero cases (only otherwise)", 0, I,
                    {"other": 7}, {"out": 7}))
    c.append(branch("fromDagSpec should take the first true condition when several are true", 3, I,
                    {"c0": True, "e0": 1, "c1": True, "e1": 2, "c2": True, "e2": 3, "other": 0}, {"out": 1}))
    c.append(branch("fromDagSpec should reconstruct branch modules with record outputs", 1, P(a=I),
                    {"c0": False, "e0": {"a": 1}, "other": {"a": 2}}, {"out": {"a": 2}}))
    return {"source": SM, "cases": c,
            "skipped": ["non-branch modules left alone: a pipeline naming a module nobody registered is refused, "
                        "listing it (compile error), as the original's runtime refuses it"]}


def images():
    d = Dag("image")
    x = d.input("text", S)
    (r,) = d.module("Uppercase", [("text", x)], [("result", S, "result")], node_name="image.Uppercase")
    d.output("result", r)
    spec = d.json()
    module = next(iter(spec["modules"]))
    image = {"structuralHash": "", "syntacticHash": "", "dagSpec": spec,
             "moduleOptions": {module: {"retry": 2, "timeoutMs": 500}},
             "compiledAt": "2026-01-01T00:00:00Z", "sourceHash": None}
    return {"source": PI, "cases": [
        {"test": "PipelineImage (CustomJsonCodecs pipelineImageDecoder): an image runs as its dagSpec",
         "pipeline": image, "inputs": {"text": "abc"}, "outputs": {"result": "ABC"},
         "note": "its moduleOptions are kept on the module nodes (ModuleNodeSpec.options)"}]}


def main():
    out = sys.argv[1]
    conv = converter()
    docs = {
        "runtime_inline_transform.json": runtime_inline(),
        "inline_transform.json": inline(),
        "json_cvalue_converter.json": {"source": JC, "cases": [x for x in conv if x["source"] == JC]},
        "json_cvalue_converter_edge_cases.json": {"source": JE, "cases": [x for x in conv if x["source"] != JC]},
        "synthetic_module_factory.json": synthetic(),
        "pipeline_image.json": images(),
    }
    for name, doc in docs.items():
        for case in doc["cases"]:
            case.pop("source", None)
        with open(f"{out}/{name}", "w") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"{name}: {len(doc['cases'])} cases")


if __name__ == "__main__":
    main()
