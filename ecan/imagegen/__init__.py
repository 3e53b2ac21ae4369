"""AI avatars: a photo and a request become a `generated` avatar in two stages (a text model
refines the request into a professional prompt, an image model draws it)."""
