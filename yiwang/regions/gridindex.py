"""The point-to-polygon index behind `regions.lookup`: pure numpy and shapely, no database.

`PolygonIndex` answers "which of these polygons holds this point" and `GridIndex` turns that into
grids and micro-grids (`Location`). Both are built from plain sequences, so tools and benchmarks
make one without Django; `regions.lookup` builds the live one from the saved boundaries and keeps
it per process.

How the index is fast (see `PolygonIndex`): a regular lattice of cells (about 16 per polygon)
is laid over the extent at build time by vectorised scan conversion. A cell inside one polygon
answers by arithmetic and one array read; a cell cut by a single straight shared edge answers by
which side of that line the point lies; only the remaining cells (corners where edges meet,
overlaps) need a point-in-polygon test, against that cell's few candidates. In practice ~85% of
points need no geometry call at all. Points exactly on a shared border go to the polygon that
sorts first (dedicated grids before regular ones, then the lowest code), the same in the single
and the batch path.

The lattice is built with numpy from the polygons' ring segments rather than by asking an
STRtree about every cell box: at 100,000 grids that is ~3 s instead of ~9 s, gives the same
cells, and also yields the split lines.
"""

from __future__ import annotations

import array
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

# Lattice sizing: about this many cells per polygon (half the cells then need no geometry test),
# but never more than MAX_LATTICE_CELLS: a cell costs 8 bytes, plus 12 per border-cell candidate,
# so the cap keeps one index layer under ~50 MB per process even at province scale.
CELLS_PER_POLYGON = 16
MAX_LATTICE_CELLS = 2_000_000

# Cell states: >= 0 owned by that polygon; EMPTY; BORDER (test the candidates); <= SPLIT_BASE
# split by one straight border, entry SPLIT_BASE - state of the split tables.
_CELL_EMPTY = -1
_CELL_BORDER = -2
_SPLIT_BASE = -3
# Points closer than this (in cells) to a split line get the exact test instead.
_SPLIT_MARGIN = 1e-9


@dataclass(frozen=True, slots=True)
class Location:
    """Where a point falls. All fields are None when it is outside every grid."""

    grid_id: int | None = None
    micro_grid_id: int | None = None
    grid_code: str | None = None
    micro_grid_code: str | None = None

    @property
    def found(self) -> bool:
        return self.grid_id is not None


OUTSIDE = Location()


class PolygonIndex:
    """Point → position of the first polygon (in the given order) that contains or touches it.

    `find` answers one point with plain arithmetic (owned and split cells) plus, for the other
    border cells only, one vectorised `shapely.intersects_xy` over that cell's candidates.
    `find_many` does the same for arrays. Positions are those of the `geometries` sequence; -1
    means "in none of them". Geometries must be valid polygons or multipolygons.
    """

    def __init__(self, geometries: Sequence, *, cells_per_polygon: int = CELLS_PER_POLYGON, max_cells: int = MAX_LATTICE_CELLS):
        self.geometries = np.asarray(list(geometries) if not isinstance(geometries, np.ndarray) else geometries, dtype=object)
        shapely.prepare(self.geometries)
        self._build_lattice(cells_per_polygon=cells_per_polygon, max_cells=max_cells)

    def __len__(self) -> int:
        return len(self.geometries)

    # Building -------------------------------------------------------------------------------

    def _build_lattice(self, *, cells_per_polygon: int, max_cells: int) -> None:
        count = len(self.geometries)
        if count == 0:
            self._set_empty_lattice()
            return
        min_x, min_y, max_x, max_y = (float(v) for v in shapely.total_bounds(self.geometries))
        if not all(math.isfinite(v) for v in (min_x, min_y, max_x, max_y)):
            self._set_empty_lattice()
            return
        width = max(max_x - min_x, 1e-9)
        height = max(max_y - min_y, 1e-9)
        wanted = max(1, min(max_cells, cells_per_polygon * count))
        # Square-ish cells in degrees: columns : rows follows width : height.
        columns = max(1, min(wanted, round(math.sqrt(wanted * width / height))))
        rows = max(1, math.ceil(wanted / columns))
        # A sliver of padding so points exactly on the outer edge still fall inside the lattice.
        pad = 1e-9 * max(width, height)
        self._x0, self._y0 = min_x - pad, min_y - pad
        cell_w = (width + 2 * pad) / columns
        cell_h = (height + 2 * pad) / rows
        self._inv_cell_w, self._inv_cell_h = 1.0 / cell_w, 1.0 / cell_h
        self._columns, self._rows = columns, rows
        self._x_end = self._x0 + columns * cell_w
        self._y_end = self._y0 + rows * cell_h

        lattice = _rasterise(
            self.geometries, x0=self._x0, y0=self._y0, inv_cell_w=self._inv_cell_w, inv_cell_h=self._inv_cell_h, columns=columns, rows=rows
        )
        self._keep_lattice(lattice)

    def _keep_lattice(self, lattice: _Lattice) -> None:
        # array.array gives plain Python numbers on indexing, which is what the single path
        # wants; the numpy views share its memory for the batch path.
        def both(values: np.ndarray, typecode: str, dtype):
            kept = array.array(typecode, np.ascontiguousarray(values, dtype=dtype).tobytes())
            return kept, np.frombuffer(kept, dtype=dtype)

        self._state, self._state_np = both(lattice.state, "i", np.int32)
        self._offsets, self._offsets_np = both(lattice.offsets, "i", np.int32)
        self._candidates, self._candidates_np = both(lattice.candidates, "i", np.int32)
        self._split_u1, self._split_u1_np = both(lattice.split_u1, "d", np.float64)
        self._split_v1, self._split_v1_np = both(lattice.split_v1, "d", np.float64)
        self._split_du, self._split_du_np = both(lattice.split_du, "d", np.float64)
        self._split_dv, self._split_dv_np = both(lattice.split_dv, "d", np.float64)
        self._split_left, self._split_left_np = both(lattice.split_left, "i", np.int32)
        self._split_right, self._split_right_np = both(lattice.split_right, "i", np.int32)
        self._candidate_geometries = self.geometries[self._candidates_np]

    def _set_empty_lattice(self) -> None:
        self._x0 = self._y0 = 0.0
        self._x_end = self._y_end = 0.0  # nothing is ever inside
        self._inv_cell_w = self._inv_cell_h = 1.0
        self._columns = self._rows = 1
        no_floats, no_ints = np.empty(0), np.empty(0, dtype=np.int32)
        self._keep_lattice(
            _Lattice(
                state=np.array([_CELL_EMPTY], dtype=np.int32), offsets=np.zeros(2, dtype=np.int32), candidates=no_ints,
                split_u1=no_floats, split_v1=no_floats, split_du=no_floats, split_dv=no_floats, split_left=no_ints, split_right=no_ints,
            )
        )  # fmt: skip

    @property
    def lattice_shape(self) -> tuple[int, int]:
        """(columns, rows) of the lattice, for diagnostics and benchmarks."""
        return self._columns, self._rows

    def lattice_stats(self) -> dict:
        state = self._state_np
        return {
            "cells": int(state.size),
            "owned_cells": int((state >= 0).sum()),
            "border_cells": int((state == _CELL_BORDER).sum()),
            "split_cells": int((state <= _SPLIT_BASE).sum()),
            "empty_cells": int((state == _CELL_EMPTY).sum()),
            "candidate_pairs": int(self._candidates_np.size),
        }

    # Querying -------------------------------------------------------------------------------

    def find(self, lon: float, lat: float) -> int:
        # NaN fails these comparisons too, so it lands in "nowhere".
        if not (self._x0 <= lon < self._x_end and self._y0 <= lat < self._y_end):
            return -1
        u = (lon - self._x0) * self._inv_cell_w
        v = (lat - self._y0) * self._inv_cell_h
        column, row = int(u), int(v)
        if column >= self._columns:
            column = self._columns - 1
        if row >= self._rows:
            row = self._rows - 1
        cell = row * self._columns + column
        owner = self._state[cell]
        if owner >= _CELL_EMPTY:
            return owner
        if owner != _CELL_BORDER:
            split = _SPLIT_BASE - owner
            side = self._split_du[split] * (v - self._split_v1[split]) - self._split_dv[split] * (u - self._split_u1[split])
            if side > _SPLIT_MARGIN:
                return self._split_left[split]
            if side < -_SPLIT_MARGIN:
                return self._split_right[split]
            # On the line, within rounding: let the exact test settle it below.
        start, end = self._offsets[cell], self._offsets[cell + 1]
        hits = shapely.intersects_xy(self._candidate_geometries[start:end], lon, lat)
        first = int(hits.argmax())
        return self._candidates[start + first] if hits[first] else -1

    def find_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        lons = np.asarray(lons, dtype=np.float64).ravel()
        lats = np.asarray(lats, dtype=np.float64).ravel()
        found = np.full(lons.shape, -1, dtype=np.int64)
        inside = (lons >= self._x0) & (lons < self._x_end) & (lats >= self._y0) & (lats < self._y_end)
        points = np.flatnonzero(inside)
        if points.size == 0:
            return found
        px, py = lons[points], lats[points]
        u, v = (px - self._x0) * self._inv_cell_w, (py - self._y0) * self._inv_cell_h
        columns = np.minimum(u.astype(np.int64), self._columns - 1)
        rows = np.minimum(v.astype(np.int64), self._rows - 1)
        cells = rows * self._columns + columns
        state = self._state_np[cells].astype(np.int64)
        in_split = np.flatnonzero(state <= _SPLIT_BASE)
        if in_split.size:
            split = _SPLIT_BASE - state[in_split]
            side = self._split_du_np[split] * (v[in_split] - self._split_v1_np[split]) - self._split_dv_np[split] * (u[in_split] - self._split_u1_np[split])
            state[in_split] = np.where(
                side > _SPLIT_MARGIN, self._split_left_np[split], np.where(side < -_SPLIT_MARGIN, self._split_right_np[split], _CELL_BORDER)
            )
        found[points] = np.where(state >= 0, state, -1)

        on_border = np.flatnonzero(state == _CELL_BORDER)
        if on_border.size == 0:
            return found
        # Test each border point against its cell's candidates only, all in one vectorised call.
        border_cells = cells[on_border]
        starts = self._offsets_np[border_cells]
        counts = self._offsets_np[border_cells + 1] - starts
        owner_of_pair = np.repeat(np.arange(on_border.size), counts)
        first_pair_of_owner = np.cumsum(counts) - counts
        pair_slots = np.repeat(starts - first_pair_of_owner, counts) + np.arange(int(counts.sum()))
        hits = shapely.intersects_xy(self._candidate_geometries[pair_slots], px[on_border][owner_of_pair], py[on_border][owner_of_pair])
        hit_owners = owner_of_pair[hits]
        hit_polygons = self._candidates_np[pair_slots[hits]]
        # Pairs are in candidate order within each point, so a point's first hit is its winner.
        winners, first_hit = np.unique(hit_owners, return_index=True)
        found[points[on_border[winners]]] = hit_polygons[first_hit]
        return found


# Lattice construction -----------------------------------------------------------------------
#
# Classic scan conversion, vectorised with numpy, in "lattice units" (one cell = 1 x 1):
# 1. every cell a ring segment passes through (or comes within a hair's breadth of, to absorb
#    float rounding) is a border cell with the segment's polygon as a candidate;
# 2. every polygon is filled row by row (even-odd rule at each row's centre line), giving for each
#    cell the polygons containing its centre;
# 3. a cell that no border crosses and whose centre lies in exactly one polygon is owned by it:
#    every point of the cell is inside that polygon. Cells whose centre lies in several polygons
#    (overlaps) are border cells too. A border cell's candidates are the polygons from 1 and 2,
#    which is every polygon touching the cell: one touching a cell without crossing it must
#    contain the whole cell, hence its centre;
# 4. a border cell crossed by one straight line only, with each candidate's own border being
#    that line, becomes a split cell: the centre's polygon on its side, the other candidate (or
#    none) across it (see `_split_cells`).

# Margin, in cells, within which a point on a segment counts as touching a neighbouring cell. Points are put in cells
# with float error ~1e-15 cells, so this leaves a wide safety band and costs nothing measurable.
_ROUNDING_MARGIN = 1e-7


def _ring_segments(geometries: np.ndarray):
    """Start and end points of every ring segment, and the position of its polygon."""
    parts, part_owner = shapely.get_parts(geometries, return_index=True)
    # Twice: a geometry collection (e.g. from make_valid) may hold multipolygons.
    parts, part_index = shapely.get_parts(parts, return_index=True)
    part_owner = part_owner[part_index]
    polygonal = shapely.get_type_id(parts) == 3
    parts, part_owner = parts[polygonal], part_owner[polygonal]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    points, point_ring = shapely.get_coordinates(rings, return_index=True)
    same_ring = point_ring[1:] == point_ring[:-1]
    starts, ends = points[:-1][same_ring], points[1:][same_ring]
    owners = part_owner[ring_part[point_ring[:-1][same_ring]]]
    return starts, ends, owners


def _expand_ranges(first: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [first, first+count): (which range, value) for every member, in order."""
    which = np.repeat(np.arange(first.size), counts)
    begins = np.cumsum(counts) - counts
    values = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(begins, counts) + np.repeat(first, counts)
    return which, values


def _border_pairs(ua, va, ub, vb, *, columns: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(cell, segment) for every cell a ring segment passes through or near.

    Between two consecutive crossings of cell lines a segment stays inside one cell, and both
    crossings lie on that cell's edge. So marking, around every crossing and end point, each cell
    whose edge the point is on (both sides of a line, all four cells at a corner) marks every
    cell the segment passes through; no sorting along the segment is needed.
    """
    du, dv = ub - ua, vb - va
    first_u, last_u = np.floor(np.minimum(ua, ub)) + 1, np.ceil(np.maximum(ua, ub)) - 1
    seg_u, line_u = _expand_ranges(first_u.astype(np.int64), np.maximum(last_u - first_u + 1, 0).astype(np.int64))
    first_v, last_v = np.floor(np.minimum(va, vb)) + 1, np.ceil(np.maximum(va, vb)) - 1
    seg_v, line_v = _expand_ranges(first_v.astype(np.int64), np.maximum(last_v - first_v + 1, 0).astype(np.int64))
    event_segments = np.concatenate([np.arange(ua.size), np.arange(ua.size), seg_u, seg_v])
    event_u = np.concatenate([ua, ub, line_u.astype(np.float64), ua[seg_v] + (line_v - va[seg_v]) / dv[seg_v] * du[seg_v]])
    event_v = np.concatenate([va, vb, va[seg_u] + (line_u - ua[seg_u]) / du[seg_u] * dv[seg_u], line_v.astype(np.float64)])
    # The margin makes "on the line" tolerant of rounding.
    col_lo = np.clip(np.floor(event_u - _ROUNDING_MARGIN), 0, columns - 1).astype(np.int64)
    col_hi = np.clip(np.floor(event_u + _ROUNDING_MARGIN), 0, columns - 1).astype(np.int64)
    row_lo = np.clip(np.floor(event_v - _ROUNDING_MARGIN), 0, rows - 1).astype(np.int64)
    row_hi = np.clip(np.floor(event_v + _ROUNDING_MARGIN), 0, rows - 1).astype(np.int64)
    span_cols = col_hi - col_lo + 1
    which, local = _expand_ranges(np.zeros(event_segments.size, dtype=np.int64), span_cols * (row_hi - row_lo + 1))
    cells = (row_lo[which] + local // span_cols[which]) * columns + col_lo[which] + local % span_cols[which]
    return cells, event_segments[which]


def _fill_pairs(ua, va, ub, vb, owners, *, columns: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(cell, polygon) for every cell whose centre lies inside the polygon (even-odd rule)."""
    # Rows whose centre line v = r + 0.5 lies in [min(va, vb), max(va, vb)): the half-open rule
    # counts a vertex shared by two edges exactly once when the ring passes through it.
    first_row = np.ceil(np.minimum(va, vb) - 0.5)
    end_row = np.ceil(np.maximum(va, vb) - 0.5)
    first_row = np.clip(first_row, 0, rows).astype(np.int64)
    end_row = np.clip(end_row, 0, rows).astype(np.int64)
    seg, row = _expand_ranges(first_row, np.maximum(end_row - first_row, 0))
    if seg.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    centre_v = row + 0.5
    crossing_u = ua[seg] + (centre_v - va[seg]) * (ub[seg] - ua[seg]) / (vb[seg] - va[seg])
    owner = owners[seg]
    order = np.lexsort((crossing_u, row, owner))
    owner, row, crossing_u = owner[order], row[order], crossing_u[order]
    # Within one polygon's row, crossings alternate enter / leave.
    group = owner * rows + row
    group_start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    rank = np.arange(group.size) - np.repeat(group_start, np.diff(np.r_[group_start, group.size]))
    enter = np.flatnonzero((rank % 2 == 0))
    enter = enter[(enter + 1 < group.size)]
    enter = enter[group[enter + 1] == group[enter]]
    left, right = crossing_u[enter], crossing_u[enter + 1]
    first_col = np.clip(np.ceil(left - 0.5), 0, columns).astype(np.int64)
    end_col = np.clip(np.ceil(right - 0.5), 0, columns).astype(np.int64)
    span, col = _expand_ranges(first_col, np.maximum(end_col - first_col, 0))
    return row[enter][span] * columns + col, owner[enter][span]


def _unique_sorted(keys: np.ndarray) -> np.ndarray:
    # A sort beats numpy's hash-based unique by far at millions of keys.
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys


def _geometric_segment_ids(ua, va, ub, vb) -> np.ndarray:
    """One id per distinct segment: a border shared by two polygons is the same line twice."""
    swap = (ua > ub) | ((ua == ub) & (va > vb))
    p_u, p_v, q_u, q_v = np.where(swap, ub, ua), np.where(swap, vb, va), np.where(swap, ua, ub), np.where(swap, va, vb)
    order = np.lexsort((q_v, q_u, p_v, p_u))
    if order.size == 0:
        return np.empty(0, dtype=np.int64)
    changed = np.zeros(order.size, dtype=bool)
    changed[0:1] = True
    for column in (p_u, p_v, q_u, q_v):
        ordered = column[order]
        changed[1:] |= ordered[1:] != ordered[:-1]
    ids = np.empty(order.size, dtype=np.int64)
    ids[order] = np.cumsum(changed) - 1
    return ids


@dataclass
class _Lattice:
    state: np.ndarray
    offsets: np.ndarray
    candidates: np.ndarray
    # Split cells, one entry each: a point of the line (u1, v1), its unit direction (du, dv), and
    # the polygon left / right of it (-1 for "none").
    split_u1: np.ndarray
    split_v1: np.ndarray
    split_du: np.ndarray
    split_dv: np.ndarray
    split_left: np.ndarray
    split_right: np.ndarray


# Segments are rasterised this many at a time (whole polygons per batch), which bounds the
# temporary arrays to a few tens of MB whatever the number of polygons.
_SEGMENTS_PER_BATCH = 100_000


def _segment_batches(owners: np.ndarray):
    """(start, end) slices of the segment arrays, never splitting a polygon (owners are sorted)."""
    start, count = 0, owners.size
    while start < count:
        end = min(start + _SEGMENTS_PER_BATCH, count)
        if end < count:
            end = int(np.searchsorted(owners, owners[end - 1], side="right"))
        yield start, end
        start = end


def _rasterise(geometries: np.ndarray, *, x0: float, y0: float, inv_cell_w: float, inv_cell_h: float, columns: int, rows: int) -> _Lattice:
    """Cell states and the border cells' candidates (CSR), see the comment above."""
    cell_count = columns * rows
    polygon_count = len(geometries)
    starts, ends, owners = _ring_segments(geometries)
    ua, va = (starts[:, 0] - x0) * inv_cell_w, (starts[:, 1] - y0) * inv_cell_h
    ub, vb = (ends[:, 0] - x0) * inv_cell_w, (ends[:, 1] - y0) * inv_cell_h
    del starts, ends
    lines = _geometric_segment_ids(ua, va, ub, vb)
    line_count = int(lines.max()) + 1 if lines.size else 1

    is_border = np.zeros(cell_count, dtype=bool)
    containing = np.zeros(cell_count, dtype=np.int32)  # polygons holding the cell's centre
    centre_owner = np.full(cell_count, -1, dtype=np.int32)
    border_keys, line_keys, fill_keys = [], [], []
    for first, end in _segment_batches(owners):
        cells, segments = _border_pairs(ua[first:end], va[first:end], ub[first:end], vb[first:end], columns=columns, rows=rows)
        segments += first
        is_border[cells] = True
        border_keys.append(_unique_sorted(cells * polygon_count + owners[segments]))
        line_keys.append(_unique_sorted(cells * line_count + lines[segments]))
        del cells, segments
        filled, filled_by = _fill_pairs(ua[first:end], va[first:end], ub[first:end], vb[first:end], owners[first:end], columns=columns, rows=rows)
        containing += np.bincount(filled, minlength=cell_count).astype(np.int32)
        centre_owner[filled] = filled_by
        fill_keys.append(filled * polygon_count + filled_by)
    fill_keys = np.concatenate(fill_keys) if fill_keys else np.empty(0, dtype=np.int64)

    is_border |= containing >= 2  # overlapping polygons: test them point by point
    state = np.full(cell_count, _CELL_EMPTY, dtype=np.int32)
    fill_cells = fill_keys // polygon_count
    owned = ~is_border[fill_cells]
    state[fill_cells[owned]] = (fill_keys[owned] % polygon_count).astype(np.int32)
    state[is_border] = _CELL_BORDER

    # Sorted unique keys are ordered by cell, then polygon position: exactly the CSR order.
    # Batches hold whole polygons, so (cell, polygon) keys never repeat across batches.
    border_polygons_per_cell = np.bincount(np.concatenate(border_keys) // polygon_count, minlength=cell_count) if border_keys else np.zeros(cell_count, dtype=np.int64)
    keys = _unique_sorted(np.concatenate([*border_keys, fill_keys[~owned]]))
    del border_keys, fill_keys, fill_cells
    candidates = (keys % polygon_count).astype(np.int32)
    offsets = np.zeros(cell_count + 1, dtype=np.int32)
    np.cumsum(np.bincount(keys // polygon_count, minlength=cell_count), out=offsets[1:])
    del keys

    split = _split_cells(
        state=state, offsets=offsets, candidates=candidates, containing=containing, centre_owner=centre_owner,
        border_polygons_per_cell=border_polygons_per_cell, line_keys=line_keys, line_count=line_count, lines=lines, ua=ua, va=va, ub=ub, vb=vb, columns=columns,
    )  # fmt: skip
    split_cells = split.pop("cells")
    state[split_cells] = _SPLIT_BASE - np.arange(split_cells.size, dtype=np.int32)
    return _Lattice(state=state, offsets=offsets, candidates=candidates, **split)


def _split_cells(*, state, offsets, candidates, containing, centre_owner, border_polygons_per_cell, line_keys, line_count, lines, ua, va, ub, vb, columns) -> dict:
    """Border cells that a single straight segment cuts into (at most) two polygons.

    Most border cells of a tessellation are like that: one shared edge runs through, grid A on
    one side and grid B (or nothing) on the other. A point there is answered by which side of
    the line it lies on, with no geometry call. The polygon holding the cell's centre (known from
    the fill) tells which side is which; cells whose centre is on the line are left alone.
    Every candidate must have its own border in the cell: a polygon covering the whole cell
    (an overlap) lies on both sides of the line.
    """
    counts = np.diff(offsets)
    eligible = (state == _CELL_BORDER) & (counts <= 2) & (containing <= 1) & (border_polygons_per_cell == counts)
    # The same shared edge comes once from each of its polygons: count distinct lines per cell.
    pairs = _unique_sorted(np.concatenate([keys[eligible[keys // line_count]] for keys in line_keys]))
    pair_cells, pair_lines = pairs // line_count, pairs % line_count
    single = np.bincount(pair_cells, minlength=state.size)[pair_cells] == 1
    cells, cell_lines = pair_cells[single], pair_lines[single]
    representative = np.empty(line_count, dtype=np.int64)
    representative[lines] = np.arange(lines.size)
    segment = representative[cell_lines]

    u1, v1 = ua[segment], va[segment]
    du, dv = ub[segment] - u1, vb[segment] - v1
    length = np.hypot(du, dv)
    usable = length > 1e-12
    du, dv = np.divide(du, length, out=np.zeros_like(du), where=usable), np.divide(dv, length, out=np.zeros_like(dv), where=usable)
    centre_u, centre_v = (cells % columns) + 0.5, (cells // columns) + 0.5
    centre_side = du * (centre_v - v1) - dv * (centre_u - u1)
    usable &= np.abs(centre_side) > 1e-6
    inside = centre_owner[cells].astype(np.int64)
    first = candidates[offsets[cells]].astype(np.int64) if cells.size else np.empty(0, dtype=np.int64)
    second = np.where(counts[cells] == 2, candidates[np.minimum(offsets[cells] + 1, max(candidates.size - 1, 0))], -1) if cells.size else first
    # The polygon across the line: the other candidate, or none. Any other mix is not a clean split.
    inconsistent = -9
    other = np.where(inside == first, second, np.where(inside == second, first, inconsistent))
    usable &= other != inconsistent
    left = np.where(centre_side > 0, inside, other)
    right = np.where(centre_side > 0, other, inside)
    return {
        "cells": cells[usable], "split_u1": u1[usable], "split_v1": v1[usable], "split_du": du[usable], "split_dv": dv[usable],
        "split_left": left[usable].astype(np.int32), "split_right": right[usable].astype(np.int32),
    }  # fmt: skip


class GridIndex:
    """Grids and micro-grids with their boundaries, ready to answer `locate`.

    Built from plain sequences (ids, codes, shapely geometries) so tools and benchmarks can make
    one without a database; `regions.lookup.index_from_database()` builds the live one.
    """

    def __init__(
        self,
        grid_ids: Sequence[int],
        grid_codes: Sequence[str],
        grid_geometries: Sequence,
        *,
        grid_is_dedicated: Sequence[bool] | None = None,
        micro_grid_ids: Sequence[int] = (),
        micro_grid_codes: Sequence[str] = (),
        micro_grid_geometries: Sequence = (),
        micro_grid_parent_ids: Sequence[int | None] = (),
        micro_grid_parent_codes: Sequence[str | None] = (),
        cells_per_polygon: int = CELLS_PER_POLYGON,
        max_cells: int = MAX_LATTICE_CELLS,
    ):
        if not (len(grid_ids) == len(grid_codes) == len(grid_geometries)):
            raise ValueError("网格 ids、codes、geometries 数量不一致 grid ids/codes/geometries differ in length")
        micro_lengths = {len(micro_grid_ids), len(micro_grid_codes), len(micro_grid_geometries), len(micro_grid_parent_ids), len(micro_grid_parent_codes)}
        if len(micro_lengths) != 1:
            raise ValueError("微网格 ids、codes、geometries、parents 数量不一致 micro-grid sequences differ in length")
        dedicated = list(grid_is_dedicated) if grid_is_dedicated is not None else [False] * len(grid_ids)

        # Dedicated grids (a school inside a regular grid) win over the grid around them;
        # otherwise, and on shared borders, the lowest code wins.
        grid_order = sorted(range(len(grid_ids)), key=lambda i: (not dedicated[i], grid_codes[i]))
        self.grid_ids = [grid_ids[i] for i in grid_order]
        self.grid_codes = [grid_codes[i] for i in grid_order]
        self.grids = PolygonIndex([grid_geometries[i] for i in grid_order], cells_per_polygon=cells_per_polygon, max_cells=max_cells)

        micro_order = sorted(range(len(micro_grid_ids)), key=lambda i: micro_grid_codes[i])
        self.micro_grid_ids = [micro_grid_ids[i] for i in micro_order]
        self.micro_grid_codes = [micro_grid_codes[i] for i in micro_order]
        self.micro_grids = (
            PolygonIndex([micro_grid_geometries[i] for i in micro_order], cells_per_polygon=cells_per_polygon, max_cells=max_cells)
            if micro_order
            else None
        )

        # Every possible answer is made once; a lookup only picks one (Locations are immutable).
        self._grid_locations = [Location(grid_id=gid, grid_code=code) for gid, code in zip(self.grid_ids, self.grid_codes)]
        position_of_grid = {gid: pos for pos, gid in enumerate(self.grid_ids)}
        self._micro_locations = []
        parent_positions = []
        for i in micro_order:
            parent_id = micro_grid_parent_ids[i]
            self._micro_locations.append(
                Location(grid_id=parent_id, micro_grid_id=micro_grid_ids[i], grid_code=micro_grid_parent_codes[i], micro_grid_code=micro_grid_codes[i])
            )
            parent_positions.append(position_of_grid.get(parent_id, -1))
        self._micro_parent_position = parent_positions
        self._micro_parent_position_np = np.asarray(parent_positions, dtype=np.int64)
        self._all_locations = np.empty(len(self._grid_locations) + len(self._micro_locations) + 1, dtype=object)
        self._all_locations[:] = [*self._grid_locations, *self._micro_locations, OUTSIDE]

    def __len__(self) -> int:
        return len(self.grid_ids)

    def locate(self, lon: float, lat: float) -> Location:
        grid = self.grids.find(lon, lat)
        if self.micro_grids is not None:
            micro = self.micro_grids.find(lon, lat)
            # A micro-grid counts only inside its own grid (or where no grid claims the point).
            if micro >= 0 and (grid < 0 or self._micro_parent_position[micro] == grid):
                return self._micro_locations[micro]
        return self._grid_locations[grid] if grid >= 0 else OUTSIDE

    def locate_many(self, lons, lats) -> list[Location]:
        grid = self.grids.find_many(lons, lats)
        outside_slot = len(self._all_locations) - 1
        slots = np.where(grid >= 0, grid, outside_slot)
        if self.micro_grids is not None:
            micro = self.micro_grids.find_many(lons, lats)
            has_micro = micro >= 0
            parent = np.where(has_micro, self._micro_parent_position_np[np.maximum(micro, 0)], -1)
            use_micro = has_micro & ((grid < 0) | (parent == grid))
            slots = np.where(use_micro, len(self._grid_locations) + micro, slots)
        return self._all_locations[slots].tolist()
