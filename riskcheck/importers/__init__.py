"""Registries in other formats, in and out: FollowTheMoney (OpenSanctions, Aleph) read into case folders and findings written back."""
