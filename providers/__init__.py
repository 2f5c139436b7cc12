"""Generation back ends: the Kie.ai client, an OpenAI-compatible chat client, a fake Kie.ai server.

Nothing here knows Telegram; nothing here knows our catalog's YAML (the caller passes what it needs).
"""
