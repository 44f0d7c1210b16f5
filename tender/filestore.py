"""The tender's area of the file store (core.filestore): documents, sealed bids, opened bids."""

from __future__ import annotations

from core.filestore import CHUNK, Area, Upload, UploadTooLarge

AREA = Area("tender")
root = AREA.root
absolute = AREA.absolute
temp_upload = AREA.temp_upload
keep = AREA.keep
remove = AREA.remove
remove_tree = AREA.remove_tree
sha256_of = AREA.sha256_of

__all__ = ["AREA", "CHUNK", "Upload", "UploadTooLarge", "absolute", "keep", "remove", "remove_tree", "root",
           "sha256_of", "temp_upload"]
