"""Ingest: find input files, detect their format by content and read them into records. (stub)"""
