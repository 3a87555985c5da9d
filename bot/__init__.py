"""The Bot Framework shell: settings, adapter, activity handler, recognition and reply rendering."""
