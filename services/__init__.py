"""Domain logic and storage. Never imports botbuilder, aiohttp or jinja2."""
