"""Unit tests of the offline compatibility engine."""
