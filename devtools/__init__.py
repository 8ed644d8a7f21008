"""Developer tooling (setup, headless qgis_process); not shipped in the plugin ZIP."""
