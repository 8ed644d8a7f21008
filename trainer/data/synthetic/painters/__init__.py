"""One painter per kind of object: each writes albedo, label and height onto the canvas."""
