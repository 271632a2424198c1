"""The one direction of imports (ARCHITECTURE.md) and the sans-IO rule for stack/."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FORBIDDEN_IN_STACK = {"socket", "select", "selectors", "threading", "asyncio", "pytun", "scapy", "socketapi", "tap",
                      "scenarios", "tests", "time"}


def imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def test_stack_imports_nothing_above_it_and_does_no_io():
    bad = []
    for path in (ROOT / "stack").rglob("*.py"):
        for mod, line in imports(path):
            if mod in FORBIDDEN_IN_STACK:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
    assert not bad, "\n".join(bad)


def test_wire_codecs_import_only_the_standard_library_and_each_other():
    for path in (ROOT / "stack" / "wire").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                raise AssertionError(f"{path.name} reaches above stack/wire")


def test_socketapi_never_imports_tap_and_nothing_imports_scenarios_or_tests():
    for pkg in ("stack", "socketapi", "tap"):
        for path in (ROOT / pkg).rglob("*.py"):
            for mod, line in imports(path):
                assert mod not in ("scenarios", "tests"), f"{path}:{line}"
                if pkg == "socketapi":
                    assert mod != "tap", f"{path}:{line}"


def test_no_module_level_mutable_state_in_stack():
    """Many hosts share a process: module-level lists, dicts or sets would leak between them.

    Constant tables are allowed and named as constants (UPPER_CASE, or dunder names).
    """
    bad = []
    for path in (ROOT / "stack").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if names and all(n.strip("_").isupper() or n.startswith("__") for n in names):
                    continue
                value = node.value
                if isinstance(value, (ast.List, ast.Dict, ast.Set)) or (
                        isinstance(value, ast.Call) and getattr(value.func, "id", "") in ("list", "dict", "set",
                                                                                       "Counter", "deque")):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, bad
