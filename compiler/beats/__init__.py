"""beats: the song's tempo and first beat (librosa, an optional extra) for `filmc beats`."""
