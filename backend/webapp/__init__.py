"""The web app (web/ built by Vite) and the offline docs page, served by this service."""
