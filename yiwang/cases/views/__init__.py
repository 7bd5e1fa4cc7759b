"""The people-facing pages of the closed loop, one module per family: reporting (`report`), the
grids to pick a point on (`geojson`), the inbox and the case list (`inbox`), the case detail with
the actions the user may take now (`detail`), summonses (`summons`), the residents' tracking page
(`track`), the publication queue (`moderation`) and the case photos (`photos`). Their addresses are
in `yiwang.cases.urls`.

Thin: parse, call a service, render. Every staff page starts from `Case.objects.restrict(user)` /
`get_in_scope` (404 outside scope); every write goes through `yiwang.cases.services` (or
`yiwang.cases.moderation`); who may do what is in `yiwang.cases.permissions`.
"""
