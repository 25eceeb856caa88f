"""The pure clinical core: standard library only; time and knowledge are arguments."""
