"""The toolkit every app's router uses: typed parameters and pages (`params`), the caller and scope
(`common`), and how refused input reads (`errors`). The API site itself, which mounts the routers, is
`yiwang.routers`."""
