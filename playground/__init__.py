"""The playground: a local Telegram Bot API and a web chat page, for offline use and end-to-end tests."""
