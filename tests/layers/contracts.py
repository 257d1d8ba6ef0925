"""A custom import-linter contract type: no import cycles between modules.

import-linter's own types look at packages (`acyclic_siblings` squashes each child
package into one node), not at single modules across the whole project. This one
takes every module of the root packages, finds the strongly connected components of
the graph of their direct imports (Tarjan), and reports each tangle as the shortest
cycle through its first module, every import with its line numbers.

Registered in the repository's `.importlinter` under `contract_types`; the other
contracts there run on a graph that keeps imports under `if TYPE_CHECKING:`, this
one leaves them out unless `exclude_type_checking_imports = false` (an import needed
only by the type checker is how a runtime cycle is broken).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from itertools import pairwise

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils


class AcyclicModulesContract(Contract):
    """No module imports a module that imports it back, directly or through a chain.

    Options:
        exclude_type_checking_imports: leave out imports under `if TYPE_CHECKING:`
            (default true; the graph is then built again without them).
        ignore_imports: import expressions taken out of the graph first (optional).
        unmatched_ignore_imports_alerting: none, warn or error (default error).
        broken_contract_guidance: text shown after the cycles (optional).
    """

    type_name = "acyclic_modules"

    exclude_type_checking_imports = fields.BooleanField(required=False, default=True)
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(
        contract_utils.AlertLevel, default=contract_utils.AlertLevel.ERROR
    )
    broken_contract_guidance = fields.TextField(required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        if self.exclude_type_checking_imports and not _session_flag(
            self.session_options, "exclude_type_checking_imports"
        ):
            output.verbose_print(verbose, "Building the graph without TYPE_CHECKING imports...")
            graph = grimp.build_graph(
                *_root_packages(self.session_options),
                exclude_type_checking_imports=True,
                cache_dir=None,
            )
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore[arg-type]
        )
        imports = {
            module: graph.find_modules_directly_imported_by(module) for module in graph.modules
        }
        cycles = []
        for tangle in tangles(imports):
            cycle = shortest_cycle(imports, tangle)
            links = [
                {
                    "importer": importer,
                    "imported": imported,
                    "line_numbers": sorted(
                        {
                            detail["line_number"]
                            for detail in graph.get_import_details(
                                importer=importer, imported=imported
                            )
                        }
                    ),
                }
                for importer, imported in pairwise(cycle)
            ]
            cycles.append({"tangle": tangle, "links": links})
        output.verbose_print(verbose, f"Found {len(cycles)} import cycles.")
        return ContractCheck(
            kept=not cycles,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"cycles": cycles},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            links, tangle = cycle["links"], cycle["tangle"]
            output.print_error(
                f"Import cycle: {links[0]['importer']} imports itself back "
                f"through {len(links)} import{'s' if len(links) != 1 else ''}:",
                bold=False,
            )
            output.new_line()
            for link in links:
                lines = ", ".join(str(n) for n in link["line_numbers"] if n is not None)
                where = f" (l.{lines})" if lines else ""
                output.print_error(f"- {link['importer']} -> {link['imported']}{where}", bold=False)
            others = sorted(set(tangle) - {link["importer"] for link in links})
            if others:
                output.new_line()
                output.print_error(
                    f"Also in the same tangle (each reaches the others): {', '.join(others)}",
                    bold=False,
                )
            output.new_line()
        contract_utils.render_broken_contract_guidance(self.broken_contract_guidance)  # type: ignore[arg-type]


def tangles(imports: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components that hold a cycle (two or more modules, or a module
    importing itself), each sorted, in order of their first module (iterative Tarjan)."""
    successors = {module: sorted(targets) for module, targets in imports.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(successors):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            module, position = work.pop()
            if position == 0:
                index[module] = low[module] = len(index)
                stack.append(module)
                on_stack.add(module)
            targets = successors.get(module, [])
            if position < len(targets):
                work.append((module, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            if work:  # finished `module`: its caller takes its lowlink
                caller = work[-1][0]
                low[caller] = min(low[caller], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1 or module in successors.get(module, []):
                    found.append(sorted(component))
    return sorted(found)


def shortest_cycle(imports: Mapping[str, Iterable[str]], tangle: list[str]) -> list[str]:
    """The shortest chain from the tangle's first module back to it, both ends included."""
    start, members = tangle[0], set(tangle)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for target in sorted(imports.get(module, ())):
            if target == start:
                path = []
                while module != start:
                    path.append(module)
                    module = came_from[module]
                return [start, *reversed(path), start]
            if target in members and target not in came_from:
                came_from[target] = module
                queue.append(target)
    raise ValueError(f"{start} is in no cycle")


def _root_packages(session_options: Mapping[str, object]) -> list[str]:
    roots = session_options.get("root_packages") or [session_options["root_package"]]
    return list(roots)  # type: ignore[call-overload]


def _session_flag(session_options: Mapping[str, object], name: str) -> bool:
    return str(session_options.get(name, "")).lower() == "true"
