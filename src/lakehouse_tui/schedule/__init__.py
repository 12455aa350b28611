"""OS timers (systemd user timers, launchd agents) for the nightly run."""
