"""The run service: the one way a run happens, and the ways to start one.

`headless_run.run_selection` is the one run path (lock, plan, executor) that the CLI, the
timer, the sensor and the warm executor all go through; `printer` prints its events for
the CLI; `warm` is the long-lived executor process that serves the TUI's runs; `child` and
`warm_client` start and follow those processes from the TUI's side. No Textual here.
"""
