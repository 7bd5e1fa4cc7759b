"""The re-division itself, pure (no database): buildings in, a division of them into grids out.

- **Adjacency**: two buildings are neighbours when their Voronoi cells, clipped to the community's
  outline, share an edge; buildings whose cells touch nobody (or a graph left in pieces by a concave
  outline) are joined to their nearest buildings, so every community's graph is connected.
- **Division**: an exact PuLP model (solved by CBC, with a time limit, starting from today's
  division when it fits) assigns every building to one of k grids: each grid's households within
  [low, high], each grid contiguous (a flow from one root building per grid, Shirabe's
  formulation), minimising the grids' total distance from the mean workload against the households
  that leave their grid. A building may only join its own grid or a neighbouring building's grid
  (`REACH`), which keeps the model small: a re-division shifts edges, it does not redraw the map. When CBC finds nothing in time, spopt's
  max-p heuristic (contiguous regions of at least `low` households) answers instead.
- **Spread**: the coefficient of variation of the grids' workloads (population standard deviation
  ÷ mean); 0 is perfectly even. Today's and the proposal's are the same measure.

Heavy libraries (PuLP, spopt, libpysal, scipy) are imported inside the functions: they take seconds
to import and most requests never need them.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field

import shapely
from django.utils.translation import gettext

# Seconds CBC may spend on one community (or one grid's micro-grids) before the best answer is taken.
SOLVER_SECONDS = 20
# What evening out the workload is worth against moving households: bringing the grids' mean
# distance from the mean workload down by 1% of it is worth moving 2% of the community's households.
BALANCE_WEIGHT = 2.0


class NoDivision(ValueError):
    """No division can meet the request (e.g. the household range); the message names why."""


@dataclass(frozen=True)
class Building:
    code: str
    lon: float
    lat: float
    households: int
    workload: float
    grid: str  # the grid it belongs to today ("" for none)


@dataclass
class Grid:
    code: str  # an existing grid's code, or "新网格1"… for one to be made
    buildings: list[str] = field(default_factory=list)
    households: int = 0
    workload: float = 0.0
    connected: bool = True


@dataclass
class Division:
    grids: list[Grid]
    spread: float
    moved: int
    method: str  # "exact" (optimal), "exact_time_limit" (best found in time), "maxp" or "current"
    assignment: dict[str, str]  # building code → grid code


def spread_of(workloads: list[float]) -> float:
    """Coefficient of variation of the workloads: population standard deviation ÷ mean."""
    if not workloads:
        return 0.0
    mean = sum(workloads) / len(workloads)
    if mean <= 0:
        return 0.0
    variance = sum((w - mean) ** 2 for w in workloads) / len(workloads)
    return round(math.sqrt(variance) / mean, 4)


def _planar(buildings: list[Building]):
    """Lon/lat scaled so a degree east weighs as much as a degree north at this latitude."""
    import numpy as np

    lat0 = sum(b.lat for b in buildings) / len(buildings)
    scale = math.cos(math.radians(lat0))
    return np.array([[b.lon * scale, b.lat] for b in buildings]), scale


def cells_of(buildings: list[Building], outline) -> list:
    """Each building's Voronoi cell clipped to `outline` (a shapely polygon), in the buildings' order."""
    points = shapely.MultiPoint([(b.lon, b.lat) for b in buildings])
    if len(buildings) == 1:
        return [outline]
    regions = shapely.voronoi_polygons(points, extend_to=outline)
    cells = list(shapely.get_parts(regions))
    # voronoi_polygons does not keep the input order: match each cell to the point inside it.
    by_index: list = [None] * len(buildings)
    tree = shapely.STRtree(cells)
    for i, b in enumerate(buildings):
        hits = tree.query(shapely.Point(b.lon, b.lat), predicate="intersects")
        by_index[i] = cells[int(hits[0])] if len(hits) else shapely.Point(b.lon, b.lat).buffer(1e-5)
    return [shapely.intersection(cell, outline) if not cell.is_empty else cell for cell in by_index]


def outline_for(buildings: list[Building], community_outline=None):
    """The community's outline, or (without one) the buildings' hull with a margin."""
    if community_outline is not None and not community_outline.is_empty:
        return shapely.make_valid(community_outline)
    hull = shapely.MultiPoint([(b.lon, b.lat) for b in buildings]).convex_hull
    return hull.buffer(0.001)


def adjacency(buildings: list[Building], cells: list) -> dict[int, set[int]]:
    """Neighbours by shared cell edges, with nearest-building links joining any separate pieces."""
    from scipy.spatial import Delaunay, cKDTree

    n = len(buildings)
    neighbours: dict[int, set[int]] = {i: set() for i in range(n)}
    points, _ = _planar(buildings)
    candidates: set[tuple[int, int]] = set()
    if n >= 4:
        try:
            triangles = Delaunay(points).simplices
            for a, b, c in triangles:
                candidates |= {tuple(sorted((int(a), int(b)))), tuple(sorted((int(b), int(c)))), tuple(sorted((int(a), int(c))))}
        except Exception:  # noqa: BLE001 - collinear points: fall back to all pairs below
            candidates = {(i, j) for i in range(n) for j in range(i + 1, n)}
    else:
        candidates = {(i, j) for i in range(n) for j in range(i + 1, n)}
    for i, j in candidates:
        shared = shapely.intersection(shapely.boundary(cells[i]), shapely.boundary(cells[j])) if not (cells[i].is_empty or cells[j].is_empty) else None
        if shared is not None and shapely.length(shared) > 0:
            neighbours[i].add(j)
            neighbours[j].add(i)
    # Join the pieces: each piece links its nearest building outside it until one piece remains.
    if n > 1:
        tree = cKDTree(points)
        while True:
            pieces = _pieces(range(n), neighbours)
            if len(pieces) <= 1:
                break
            piece = pieces[-1]
            outside = [i for i in range(n) if i not in piece]
            best = None
            for i in piece:
                distances, indexes = tree.query(points[i], k=min(n, len(piece) + 1))
                for d, j in zip(list(distances), list(indexes)):
                    if int(j) in piece:
                        continue
                    if best is None or d < best[0]:
                        best = (d, i, int(j))
                    break
            if best is None:
                best = (0, next(iter(piece)), outside[0])
            _, i, j = best
            neighbours[i].add(j)
            neighbours[j].add(i)
    return neighbours


def _pieces(nodes, neighbours: dict[int, set[int]]) -> list[set[int]]:
    """Connected pieces of the graph restricted to `nodes`, largest first."""
    nodes = set(nodes)
    pieces: list[set[int]] = []
    seen: set[int] = set()
    for start in sorted(nodes):
        if start in seen:
            continue
        piece, stack = set(), [start]
        while stack:
            node = stack.pop()
            if node in piece:
                continue
            piece.add(node)
            stack.extend(m for m in neighbours[node] if m in nodes and m not in piece)
        seen |= piece
        pieces.append(piece)
    return sorted(pieces, key=len, reverse=True)


def is_connected(indexes: list[int], neighbours: dict[int, set[int]]) -> bool:
    return len(_pieces(indexes, neighbours)) <= 1


def grid_counts(total_households: int, low: int, high: int, *, today: int) -> list[int]:
    """The numbers of grids the range allows, most preferred first: today's number, then the
    nearest to it (fewer before more)."""
    if low <= 0 or high < low:
        raise NoDivision(gettext("户数范围 %(low)s–%(high)s 无效：下限须大于 0 且不大于上限") % {"low": low, "high": high})
    fewest, most = math.ceil(total_households / high), total_households // low
    if total_households == 0 or fewest > most:
        raise NoDivision(gettext("共 %(n)s 户，按每格 %(low)s–%(high)s 户无法划分：没有一个网格数能使每格户数都在范围内")
                         % {"n": total_households, "low": low, "high": high})
    return sorted(range(fewest, most + 1), key=lambda k: (abs(k - today), k))


# How many grid counts to try before saying no contiguous division fits.
COUNTS_TRIED = 3


def divide(buildings: list[Building], *, low: int, high: int, outline=None, labels: list[str] | None = None,
           new_label: str = "新网格", seconds: float = SOLVER_SECONDS) -> Division:
    """Divide `buildings` into contiguous grids of `low`–`high` households, balanced in workload,
    moving few households from their current grid. `labels`: today's grid codes to reuse first."""
    if not buildings:
        raise NoDivision(gettext("该区域没有带坐标的楼栋，无法划分"))
    too_big = [b for b in buildings if b.households > high]
    if too_big:
        names = "、".join(gettext("%(code)s（%(n)s 户）") % {"code": b.code, "n": b.households} for b in too_big[:5])
        raise NoDivision(gettext("楼栋户数超过每格上限 %(high)s 户，一栋楼不能拆分：%(names)s") % {"high": high, "names": names})
    today = sorted({b.grid for b in buildings if b.grid})
    labels = list(labels if labels is not None else today)
    total = sum(b.households for b in buildings)
    counts = grid_counts(total, low, high, today=len(labels) or 1)
    held = Counter()
    for b in buildings:
        held[b.grid] += b.households
    cells = cells_of(buildings, outline_for(buildings, outline))
    neighbours = adjacency(buildings, cells)
    for k in counts[:COUNTS_TRIED]:
        # Reuse today's grids that hold the most households; name the rest new.
        keep = sorted(labels, key=lambda code: (-held.get(code, 0), code))[:k]
        grid_codes = sorted(keep) + [f"{new_label}{i + 1}" for i in range(k - len(keep))]
        assignment, method = _solve_exact(buildings, neighbours, grid_codes, low=low, high=high, seconds=seconds)
        if method == "infeasible":
            continue
        if assignment is None:
            assignment, method = _solve_maxp(buildings, neighbours, grid_codes, low=low)
        division = _division(buildings, neighbours, assignment, method)
        if method == "maxp" and any(not low <= g.households <= high or not g.connected for g in division.grids):
            # max-p keeps the floor only: an answer over the ceiling is no answer.
            raise NoDivision(gettext("共 %(n)s 户，在时限内没有找到每格 %(low)s–%(high)s 户且楼栋相邻的划分；可放宽户数范围或延长求解时限")
                             % {"n": total, "low": low, "high": high})
        return division
    tried = "、".join(str(k) for k in counts[:COUNTS_TRIED])
    raise NoDivision(gettext("共 %(n)s 户，分成 %(counts)s 个网格都无法使每格 %(low)s–%(high)s 户且楼栋相邻")
                     % {"n": total, "counts": tried, "low": low, "high": high})


def current_division(buildings: list[Building], *, outline=None) -> Division:
    """Today's grids in the same shape as a proposal, for the side-by-side figures."""
    cells = cells_of(buildings, outline_for(buildings, outline)) if buildings else []
    neighbours = adjacency(buildings, cells) if buildings else {}
    return _division(buildings, neighbours, {b.code: b.grid for b in buildings}, "current")


def regroup(buildings: list[Building], assignment: dict[str, str], *, outline=None, method: str = "adjusted") -> Division:
    """The figures of a given assignment (a proposal after the street moved buildings by hand)."""
    cells = cells_of(buildings, outline_for(buildings, outline))
    return _division(buildings, adjacency(buildings, cells), assignment, method)


def _division(buildings: list[Building], neighbours, assignment: dict[str, str], method: str) -> Division:
    index = {b.code: i for i, b in enumerate(buildings)}
    grids: dict[str, Grid] = {}
    for b in buildings:
        grid = grids.setdefault(assignment[b.code], Grid(code=assignment[b.code]))
        grid.buildings.append(b.code)
        grid.households += b.households
        grid.workload += b.workload
    for grid in grids.values():
        grid.workload = round(grid.workload, 2)
        grid.connected = is_connected([index[c] for c in grid.buildings], neighbours)
    ordered = [grids[code] for code in sorted(grids)]
    moved = sum(b.households for b in buildings if assignment[b.code] != b.grid)
    return Division(grids=ordered, spread=spread_of([g.workload for g in ordered]), moved=moved, method=method,
                    assignment=dict(assignment))


# A building may join its own grid or one within this many neighbour steps of it: a real re-division
# shifts edges, and the limit keeps the model small enough for CBC on a community of 200 buildings.
REACH = 1


def _candidates(buildings, neighbours, grid_codes) -> list[set[int]]:
    """For each building, the grids (indexes into `grid_codes`) it may be put in."""
    index = {code: g for g, code in enumerate(grid_codes)}
    everywhere = {g for code, g in index.items() if code not in {b.grid for b in buildings}}  # new grids
    result = []
    for i, b in enumerate(buildings):
        if b.grid not in index:
            result.append(set(range(len(grid_codes))))
            continue
        seen, frontier = {i}, {i}
        for _ in range(REACH):
            frontier = {j for f in frontier for j in neighbours[f]} - seen
            seen |= frontier
        result.append({index[buildings[j].grid] for j in seen if buildings[j].grid in index} | everywhere)
    return result


def _solve_exact(buildings, neighbours, grid_codes, *, low, high, seconds):
    """(assignment, method); assignment None with method "infeasible" when CBC proves none fits,
    or "" when it found nothing in time."""
    import pulp

    n, grids = len(buildings), range(len(grid_codes))
    nodes = range(n)
    allowed = _candidates(buildings, neighbours, grid_codes)
    arcs = [(i, j, g) for i in nodes for j in neighbours[i] for g in allowed[i] & allowed[j]]
    mean = sum(b.workload for b in buildings) / len(grid_codes)
    total = sum(b.households for b in buildings)
    problem = pulp.LpProblem("grid_division", pulp.LpMinimize)
    x = {(i, g): problem.add_variable(f"x_{i}_{g}", cat="Binary") for i in nodes for g in allowed[i]}
    root = {(i, g): problem.add_variable(f"r_{i}_{g}", cat="Binary") for i in nodes for g in allowed[i]}
    flow = {(i, j, g): problem.add_variable(f"f_{i}_{j}_{g}", lowBound=0) for i, j, g in arcs}
    # Each grid's distance from the mean workload (the sum steers CBC better than the largest alone).
    gaps = {g: problem.add_variable(f"gap_{g}", lowBound=0) for g in grids}
    stays = pulp.lpSum(b.households * x[i, grid_codes.index(b.grid)] for i, b in enumerate(buildings)
                       if b.grid in grid_codes and (i, grid_codes.index(b.grid)) in x)
    problem += BALANCE_WEIGHT * total * pulp.lpSum(gaps.values()) / (len(grid_codes) * max(mean, 1e-9)) - stays
    for i in nodes:
        problem += pulp.lpSum(x[i, g] for g in allowed[i]) == 1
    inflow: dict[tuple[int, int], list] = {}
    outflow: dict[tuple[int, int], list] = {}
    for i, j, g in arcs:
        outflow.setdefault((i, g), []).append(flow[i, j, g])
        inflow.setdefault((j, g), []).append(flow[i, j, g])
        problem += flow[i, j, g] <= (n - 1) * x[i, g]
        problem += flow[i, j, g] <= (n - 1) * x[j, g]
    for g in grids:
        members = [i for i in nodes if g in allowed[i]]
        if not members:
            return None, "infeasible"
        households = pulp.lpSum(buildings[i].households * x[i, g] for i in members)
        workload = pulp.lpSum(buildings[i].workload * x[i, g] for i in members)
        problem += households >= low
        problem += households <= high
        problem += workload - mean <= gaps[g]
        problem += mean - workload <= gaps[g]
        problem += pulp.lpSum(root[i, g] for i in members) == 1
        for i in members:
            problem += root[i, g] <= x[i, g]
            # A grid's buildings are reached by flow from its root along neighbouring buildings only.
            problem += pulp.lpSum(inflow.get((i, g), [])) - pulp.lpSum(outflow.get((i, g), [])) >= x[i, g] - n * root[i, g]
    # Start from today's division when it already fits: CBC then only has to improve on it.
    start = _feasible_start(buildings, neighbours, grid_codes, low=low, high=high)
    if start is not None:
        _warm_start(start, buildings, neighbours, grid_codes, x=x, root=root, flow=flow, gaps=gaps, mean=mean)
    with warnings.catch_warnings():
        # PuLP 3.3 warns that its bundled CBC moves to an extra in 4.0; it is still the one installed.
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=seconds, warmStart=start is not None, threads=1)
        try:
            problem.solve(solver)
        except pulp.PulpSolverError:
            return _start_or_nothing(start, buildings, grid_codes)
    if problem.status == pulp.LpStatusInfeasible:
        return None, "infeasible"
    if problem.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return _start_or_nothing(start, buildings, grid_codes)
    assignment = {}
    for i, b in enumerate(buildings):
        chosen = [g for g in allowed[i] if (x[i, g].value() or 0) > 0.5]
        if len(chosen) != 1:
            return _start_or_nothing(start, buildings, grid_codes)
        assignment[b.code] = grid_codes[chosen[0]]
    optimal = problem.sol_status == pulp.LpSolutionOptimal
    return assignment, "exact" if optimal else "exact_time_limit"


def _start_or_nothing(start, buildings, grid_codes):
    if start is None:
        return None, ""
    return {b.code: grid_codes[start[i]] for i, b in enumerate(buildings)}, "current"


def _warm_start(start, buildings, neighbours, grid_codes, *, x, root, flow, gaps, mean) -> None:
    """Give CBC today's division complete: roots, a spanning tree's flows and the gaps."""
    for (i, g), var in x.items():
        var.setInitialValue(1 if start[i] == g else 0)
    for var in root.values():
        var.setInitialValue(0)
    for var in flow.values():
        var.setInitialValue(0)
    for g in range(len(grid_codes)):
        members = {i for i in range(len(buildings)) if start[i] == g}
        gaps[g].setInitialValue(abs(sum(buildings[i].workload for i in members) - mean))
        first = min(members)
        root[first, g].setInitialValue(1)
        # Breadth-first tree from the root; each edge carries the size of the subtree below it.
        parent, order, queue = {first: None}, [], [first]
        while queue:
            node = queue.pop(0)
            order.append(node)
            for nxt in sorted(neighbours[node]):
                if nxt in members and nxt not in parent:
                    parent[nxt] = node
                    queue.append(nxt)
        below = {node: 1 for node in order}
        for node in reversed(order):
            if parent[node] is not None:
                below[parent[node]] += below[node]
                flow[parent[node], node, g].setInitialValue(below[node])


def _feasible_start(buildings, neighbours, grid_codes, *, low, high):
    """Today's division as the solver's start, when its grids are exactly `grid_codes` and fit."""
    if {b.grid for b in buildings} != set(grid_codes):
        return None
    start = [grid_codes.index(b.grid) for b in buildings]
    for g in range(len(grid_codes)):
        members = [i for i in range(len(buildings)) if start[i] == g]
        total = sum(buildings[i].households for i in members)
        if not (low <= total <= high) or not is_connected(members, neighbours):
            return None
    return start


def _solve_maxp(buildings, neighbours, grid_codes, *, low):
    """spopt's max-p regions (each at least `low` households, contiguous) when CBC found nothing."""
    import geopandas
    import libpysal
    from spopt.region import MaxPHeuristic

    frame = geopandas.GeoDataFrame(
        {"households": [b.households for b in buildings], "workload": [b.workload for b in buildings]},
        geometry=geopandas.points_from_xy([b.lon for b in buildings], [b.lat for b in buildings]),
    )
    weights = libpysal.weights.W({i: sorted(neighbours[i]) for i in range(len(buildings))}, silence_warnings=True)
    model = MaxPHeuristic(frame, weights, ["workload"], "households", low, top_n=2, max_iterations_construction=50)
    model.solve()
    labels = [int(label) for label in model.labels_]
    # Name each region after today's grid it takes most households from, so fewer rows change.
    held: dict[int, Counter] = {}
    for b, label in zip(buildings, labels):
        held.setdefault(label, Counter())[b.grid] += b.households
    names: dict[int, str] = {}
    free = list(grid_codes)
    for label, counts in sorted(held.items(), key=lambda item: -sum(item[1].values())):
        for code, _ in counts.most_common():
            if code in free:
                names[label] = code
                free.remove(code)
                break
    extra = 0
    for label in sorted(held):
        if label not in names:
            extra += 1
            names[label] = f"新网格{extra}"
    return {b.code: names[label] for b, label in zip(buildings, labels)}, "maxp"


def grid_outlines(buildings: list[Building], assignment: dict[str, str], *, outline=None) -> dict[str, object]:
    """Each grid's boundary: the union of its buildings' cells, clipped to the community."""
    cells = cells_of(buildings, outline_for(buildings, outline))
    parts: dict[str, list] = {}
    for b, cell in zip(buildings, cells):
        parts.setdefault(assignment[b.code], []).append(cell)
    return {code: shapely.make_valid(shapely.union_all(pieces)) for code, pieces in parts.items()}


def nearest_building(buildings: list[Building], lons, lats) -> list[int]:
    """For each point, the index of the nearest building (the building whose cell holds it)."""
    import numpy as np
    from scipy.spatial import cKDTree

    if not len(lons):
        return []
    points, scale = _planar(buildings)
    tree = cKDTree(points)
    query = np.column_stack([np.asarray(lons, dtype=float) * scale, np.asarray(lats, dtype=float)])
    _, indexes = tree.query(query, k=1)
    return [int(i) for i in np.atleast_1d(indexes)]
