"""Local stand-ins for outside systems; never part of a production image's configuration."""
