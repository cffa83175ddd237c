"""Read path: retrieve -> answer -> cite; and the root settings."""
