"""Builds DagSpecs in the original's JSON for the conformance cases.

UUIDs are derived from the case's name and a counter (uuid5), so
regenerating gives the same files. Transform nodes carry both the
original's `inlineTransformType` (its class name) and our `inlineTransform`
(the transform with its parameters, which the original's JSON drops).
"""
import uuid

NS = uuid.UUID("6f1c1ab4-2d4e-4f30-9b0a-6a3d6fe3f000")

S = {"tag": "CString"}
I = {"tag": "CInt"}
F = {"tag": "CFloat"}
B = {"tag": "CBoolean"}


def L(t):
    return {"tag": "CList", "valuesType": t}


def SEQ(t):
    return {"tag": "CSeq", "valuesType": t}


def O(t):
    return {"tag": "COptional", "innerType": t}


def M(k, v):
    return {"tag": "CMap", "keysType": k, "valuesType": v}


def P(**fields):
    return {"tag": "CProduct", "structure": fields}


def U(**variants):
    return {"tag": "CUnion", "structure": variants}


def meta(name):
    return {"name": name, "description": "", "tags": [], "majorVersion": 0, "minorVersion": 1}


class Dag:
    def __init__(self, name):
        self.name = name
        self.n = 0
        self.modules = {}
        self.data = {}
        self.in_edges = []
        self.out_edges = []
        self.outputs = {}

    def uuid(self):
        self.n += 1
        return str(uuid.uuid5(NS, f"{self.name}/{self.n}"))

    def input(self, name, ty):
        u = self.uuid()
        self.data[u] = {"name": name, "nicknames": {u: name}, "cType": ty,
                        "inlineTransformType": None, "transformInputs": {}}
        return u

    def module(self, name, args, produces, node_name=None):
        """args: [(port, data uuid)]; produces: [(port, type, data name)].
        Returns the produced data uuids in order."""
        m = self.uuid()
        consumes = {}
        for port, d in args:
            consumes[port] = self.data[d]["cType"]
            self.data[d]["nicknames"][m] = port
            self.in_edges.append([d, m])
        outs = []
        for port, ty, dname in produces:
            d = self.uuid()
            self.data[d] = {"name": dname, "nicknames": {m: port}, "cType": ty,
                            "inlineTransformType": None, "transformInputs": {}}
            self.out_edges.append([m, d])
            outs.append(d)
        self.modules[m] = {
            "metadata": meta(node_name or name),
            "consumes": consumes,
            "produces": {port: ty for port, ty, _ in produces},
            "config": {"inputsTimeout": 6000, "moduleTimeout": 3000},
            "definitionContext": None,
        }
        return outs

    def transform(self, name, ty, transform, inputs):
        """transform: our `inlineTransform` object ({"kind": ...})."""
        u = self.uuid()
        self.data[u] = {"name": name, "nicknames": {}, "cType": ty,
                        "inlineTransformType": transform["kind"] + "Transform",
                        "inlineTransform": transform,
                        "transformInputs": dict(inputs)}
        return u

    def output(self, name, d):
        self.outputs[name] = d

    def json(self):
        return {
            "metadata": meta(self.name),
            "modules": self.modules,
            "data": self.data,
            "inEdges": self.in_edges,
            "outEdges": self.out_edges,
            "declaredOutputs": list(self.outputs),
            "outputBindings": self.outputs,
        }


def identity(name, ty):
    """A pipeline that returns its input `x` as the output `x`: a value
    decoded from plain JSON and encoded back."""
    d = Dag(name)
    x = d.input("x", ty)
    d.output("x", x)
    return d.json()
