"""timelines: the edit as an editor timeline (OpenTimelineIO for DaVinci Resolve, FCP7 XML for Premiere)."""
