#!/usr/bin/env python3
"""Fails when the modules of a Rust crate import each other in a cycle.

    python3 scripts/module-cycles.py plugin/src host-harness/src

A module is a file (`a/b.rs` or `a/b/mod.rs` is `a::b`); an edge goes from a module to every
module it names through `crate::` or `super::` paths. Tests (`#[cfg(test)]` blocks to the end
of the file, and `tests.rs` files) are left out: a test may look at anything. Prints every
cycle found and exits 1, or prints the module count and exits 0.
"""
import pathlib, re, sys

PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^}]*)\}")


def module_of(root, path):
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def code_of(path):
    text = path.read_text()
    text = re.sub(r"//[^\n]*", "", text)
    cut = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
    return text[: cut.start()] if cut else text


def resolve(modules, base, names):
    """The longest known module that `base + names` starts with."""
    target = base + names
    while target and target not in modules:
        target = target[:-1]
    return target if target else None


def edges_of(root, modules, module, path):
    code = code_of(path)
    is_mod_file = path.name in ("mod.rs", "lib.rs", "main.rs")
    parent = module if is_mod_file else module[:-1]
    found = set()

    def add(kind, segments):
        names = tuple(s for s in segments.split("::") if s)
        base = () if kind == "crate" else parent
        while names and names[0] == "super":
            base, names = base[:-1], names[1:]
        target = resolve(modules, base, names)
        if target is not None and target != module and not (module[: len(target)] == target):
            found.add(target)

    for kind, prefix, inner in GROUP.findall(code):
        for item in inner.split(","):
            item = item.strip().split(" as ")[0].strip()
            if item and item != "self":
                add(kind, prefix + "::" + item.replace("{", "").replace("}", ""))
            elif item == "self":
                add(kind, prefix)
    for kind, segments in PATH.findall(code):
        add(kind, segments)
    return found


def cycles(root):
    files = [p for p in root.rglob("*.rs") if p.name != "tests.rs"]
    modules = {module_of(root, p): p for p in files}
    graph = {m: edges_of(root, modules, m, p) for m, p in modules.items()}
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return modules, found


def main():
    failed = False
    for arg in sys.argv[1:]:
        root = pathlib.Path(arg)
        modules, found = cycles(root)
        for cycle in found:
            failed = True
            print(f"{root}: cycle " + " -> ".join("::".join(m) or "crate" for m in cycle))
        if not found:
            print(f"{root}: {len(modules)} modules, no import cycle")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
